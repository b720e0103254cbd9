"""Expand template.yaml offline with the SAM translator (the library inside
the SAM CLI) and write the plain CloudFormation JSON, so that cfn-lint checks
the resources SAM generates (roles, permissions, stages, routes) and the
intrinsics inside them: plain cfn-lint no longer expands SAM resources.

    .venv/bin/python infra/sam_expand.py template.yaml > bin/template.expanded.json

No AWS call is made: the template names no managed policy, so the loader
of managed policies is never asked (a call to it fails the expansion).
"""

import json
import os
import sys

# The translator reads the region of a boto3 session (never used to call AWS).
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """Managed policy loader that refuses: our functions have inline policies only."""

    def load(self):
        raise SystemExit("sam_expand: the template names a managed policy; least privilege wants inline statements")


def main(argv):
    if len(argv) != 2:
        raise SystemExit("usage: sam_expand.py TEMPLATE")
    with open(argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # `sam package` replaces each local CodeUri with the S3 object it uploads;
    # the translator wants that form.
    for logical_id, res in template.get("Resources", {}).items():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::Function" and not str(props.get("CodeUri", "")).startswith("s3://"):
            props["CodeUri"] = f"s3://sam-expand-placeholder/{logical_id}.zip"
    params = {"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}
    expanded = transform(template, params, NoManagedPolicies())
    json.dump(expanded, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
