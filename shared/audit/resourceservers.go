package audit

// Resource server events: the admin API's writes of a resource server.
const (
	ResourceServerCreated       = "resource_server.created"
	ResourceServerUpdated       = "resource_server.updated"
	ResourceServerDeleted       = "resource_server.deleted"
	ResourceServerSecretRotated = "resource_server.secret_rotated"
)
