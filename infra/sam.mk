# SAM build targets, included by the root Makefile (include infra/sam.mk).
#
# Every function in template.yaml has CodeUri "." and Metadata BuildMethod
# makefile, so `sam build` runs `make build-<LogicalId>` at the repository root
# with ARTIFACTS_DIR set; the target writes the function's bootstrap there.
# The logical id <Name>Function builds ./functions/<name> (local/doc.go
# describes the naming convention).

LAMBDA_GO_BUILD = GOOS=linux GOARCH=arm64 CGO_ENABLED=0 \
	go build -tags lambda.norpc -trimpath -ldflags="-s -w"

# lambda-artifacts-dir fails a target run outside `sam build`.
define lambda-artifacts-dir
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: run this target through sam build" >&2; exit 1; }
endef

.PHONY: build-JwksFunction build-AdminFunction build-TokenFunction build-RegisterFunction build-AuditFunction build-AuthorizeFunction

build-JwksFunction:
	$(lambda-artifacts-dir)
	$(LAMBDA_GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/jwks

build-AdminFunction:
	$(lambda-artifacts-dir)
	$(LAMBDA_GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/admin

build-TokenFunction:
	$(lambda-artifacts-dir)
	$(LAMBDA_GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/token

build-RegisterFunction:
	$(lambda-artifacts-dir)
	$(LAMBDA_GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/register

build-AuditFunction:
	$(lambda-artifacts-dir)
	$(LAMBDA_GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/audit

build-AuthorizeFunction:
	$(lambda-artifacts-dir)
	$(LAMBDA_GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/authorize
