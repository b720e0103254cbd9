package audit

// SignInLinkCreated records a one-time dashboard sign-in link made by the
// first boot or `shark recover-key --link` (actor system). Its use is the
// api_key.created of the short-lived admin key it mints, with the link as
// actor (type "signin_link").
const SignInLinkCreated = "signin_link.created"
