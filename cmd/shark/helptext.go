package main

// The long help of the stack commands: what each does and the environment
// it reads (flags win over the environment).

const serveLong = `Serves every function of template.yaml (token, register, jwks, admin, audit,
authorize) on one address through the same constructors and Lambda adapter
as the deployed stack. The first boot writes the admin and platform keys to
the data directory (admin.key.firstboot, platform.key.firstboot, mode 0600)
and prints them once.

Environment:
  ADDR        listen address (default 127.0.0.1:8080)
  DATA        data directory (default ./.data)
  PUBLIC_URL  external base URL; unset, issuers follow each request's Host
  SHARK_ENGINE  embedded engine, pebble or bbolt (--engine); default: the
              one the data directory holds, pebble for a new one
  LOG_LEVEL   debug, info (default), warn or error; warn drops the
              per-request access log
  KMS_KEY_ID  KMS key that wraps data keys (--keys envelope)
  AWS_REGION  region for --store dynamodb / --keys envelope|kms (default us-east-1)
  SHARK_RIE   aws-lambda-rie binary for --lambda
  GOGC        the Go collector's target (default 400 for serve; Go's is 100)
  GOMAXPROCS  Ps for serve (default twice the runtime's: one per CPU)`

const bootstrapLong = `A deployed stack has no first boot: run this once with the operator's AWS
credentials against the stack's table (output TableName) and, in envelope
key mode, its wrapping key (output WrappingKeyArn). It prints a platform key
and, with --root-tenant, that tenant's first admin key, once each, and what
SHARK_URL is. The credentials need dynamodb:GetItem, PutItem, UpdateItem,
ConditionCheckItem and Query on the table and its index, and
kms:GenerateDataKey on the wrapping key (envelope) or kms:CreateKey,
TagResource and GetPublicKey (kms mode): docs/deploy.md.

Environment:
  TABLE_NAME  the stack's table (--table)
  KEY_MODE    envelope (default) or kms (--keys)
  KMS_KEY_ID  the stack's wrapping key, envelope mode (--kms-key-id)
  AWS_REGION  region (--region)`

const loadLong = `A benchmark for loopback only: client_credentials (or GET --path) requests
from -c keep-alive connections for -d or -n requests, then tokens/s and
latency percentiles. It refuses any host that is not loopback.`

const recoverLong = `The way back when the first-boot keys were lost: mints a new admin key for
a tenant (or, with --platform, a platform key) straight from the data
directory. Stop shark serve first (the data file is opened exclusively).
Existing keys keep working.

Environment:
  DATA        data directory (default ./.data)
  KMS_KEY_ID  KMS key for --keys envelope
  AWS_REGION  region for --store dynamodb (default us-east-1)`
