package app_test

// The tests build environments on the embedded store.
import _ "github.com/sharkauth/serverless/shared/app/localstore"
