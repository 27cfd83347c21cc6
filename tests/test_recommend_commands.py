"""The commands :mod:`awsip.advice.recommend` prints, checked mechanically: every
``aws ec2 create-vpc-endpoint`` option against botocore's ``CreateVpcEndpoint`` input shape (and,
where the AWS CLI v1 is installed, through the CLI itself up to the request it would send),
every Terraform argument against the provider's documented ``aws_vpc_endpoint`` arguments
(``tests/data/aws_docs``, with their sources), the snippets through ``terraform fmt`` where the
binary is installed, and the cross-region table against AWS's list of cross-region services."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from awsip.advice.prices import RegionPrices
from awsip.advice.recommend import (
    CROSS_REGION_ENDPOINTS,
    GATEWAY_ENDPOINT_SERVICES,
    INTERFACE_ENDPOINTS,
    Recommendation,
    advise,
)

pytest.importorskip("botocore")
import botocore
import botocore.exceptions
import botocore.session
import botocore.validate

DOCS = Path(__file__).parent / "data" / "aws_docs"
GB = 2**30
VPC = "eu-west-1"
PRICES = RegionPrices(VPC, 0.05, 0.06, 0.02, None, 0.011, 0.007, "test prices", True)
#: What the commands' shell variables stand for (lists where the command leaves them unquoted
#: to split into several values).
SHELL = {"$VPC_ID": ["vpc-0123456789abcdef0"], "$SUBNET_IDS": ["subnet-aaaa", "subnet-bbbb"],
         "$SECURITY_GROUP_ID": ["sg-0123"], "$ROUTE_TABLE_IDS": ["rtb-aaaa", "rtb-bbbb"]}
#: The AWS CLI's global options the commands use (not members of the operation's input).
GLOBAL = {"region"}


def every_recommendation() -> list[Recommendation]:
    """One report's worth: each gateway service in the VPC's region, each interface label there
    and in another region, and ECR pulls."""
    rows = [{"service": s, "region": VPC, "bytes": 900 * GB}
            for s in (*GATEWAY_ENDPOINT_SERVICES, *INTERFACE_ENDPOINTS)]
    rows += [{"service": s, "region": "us-west-2", "bytes": 900 * GB}
             for s in CROSS_REGION_ENDPOINTS]
    return advise(rows, VPC, prices=PRICES, monthly_factor=15.0, span_seconds=2 * 86400,
                  ecr_seen=True, ecr_bytes=900 * GB)


def commands() -> tuple[list[str], list[str]]:
    """(CLI commands, Terraform snippets) of :func:`every_recommendation`."""
    cli = [c for r in every_recommendation() for c in r.commands if c.startswith("aws ")]
    tf = [c for r in every_recommendation() for c in r.commands if not c.startswith("aws ")]
    return cli, tf


def input_shape() -> Any:
    model = botocore.session.get_session().get_service_model("ec2")
    return model.operation_model("CreateVpcEndpoint").input_shape


def cli_params(command: str, shape: Any) -> dict[str, Any]:
    """The API parameters a ``create-vpc-endpoint`` command line asks for, by the AWS CLI's
    naming rule (awscli.clidriver: ``xform_name(member, '-')``; a boolean member ``X`` also has
    ``--no-X``). Raises KeyError for an option that names no member."""
    words = shlex.split(command)
    assert words[:3] == ["aws", "ec2", "create-vpc-endpoint"], command
    by_option = {botocore.xform_name(name, "-"): name for name in shape.members}
    params: dict[str, Any] = {}
    i = 3
    while i < len(words):
        option = words[i]
        assert option.startswith("--"), (option, command)
        values = []
        i += 1
        while i < len(words) and not words[i].startswith("--"):
            values += SHELL.get(words[i], [words[i]])
            i += 1
        name = option[2:]
        if name in GLOBAL:
            continue
        negated = name.startswith("no-") and name not in by_option
        member = by_option[name[3:] if negated else name]
        kind = shape.members[member].type_name
        if kind == "boolean":
            assert values == [], (option, command)
            params[member] = not negated
        elif kind == "list":
            params[member] = values
        else:
            assert len(values) == 1, (option, values, command)
            params[member] = values[0]
    return params


def check_cli(command: str, shape: Any) -> dict[str, Any]:
    """Every option a member, every value of its type and enum, the required ones present."""
    params = cli_params(command, shape)
    botocore.validate.validate_parameters(params, shape)  # raises ParamValidationError
    for member, value in params.items():
        enum = getattr(shape.members[member], "enum", None)
        assert not enum or value in enum, (member, value, enum)
    return params


def test_every_cli_option_is_a_create_vpc_endpoint_member_of_botocores_model() -> None:
    shape = input_shape()
    cli, _ = commands()
    seen = [check_cli(c, shape) for c in cli]
    assert {p["VpcEndpointType"] for p in seen} == {"Gateway", "Interface"}
    cross = [p for p in seen if "ServiceRegion" in p]
    # the cross-region ones name the service region's service and say that region
    assert cross and all(p["ServiceName"].split(".")[2] == p["ServiceRegion"] == "us-west-2"
                         for p in cross)
    assert all(p["VpcEndpointType"] == "Interface" and "PrivateDnsEnabled" in p
               for p in seen if "SubnetIds" in p)
    assert all("RouteTableIds" in p and "SubnetIds" not in p
               for p in seen if p["VpcEndpointType"] == "Gateway")


@pytest.mark.parametrize("typo", ["--service-regoin us-west-2", "--private-dns", "--route-tables x",
                                  "--vpc-endpoint-type interface"])
def test_the_cli_check_rejects_a_misspelled_option_or_value(typo: str) -> None:
    shape = input_shape()
    good = commands()[0][0]
    check_cli(good, shape)
    with pytest.raises((KeyError, AssertionError, botocore.exceptions.ParamValidationError)):
        check_cli(f"{good} {typo}", shape)


def test_cli_commands_go_through_the_aws_cli_to_the_request_it_would_send(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
        ) -> None:
    """The AWS CLI (v1) itself parses each command and serializes the request; a handler
    answers before anything is sent (no credentials or network needed)."""
    clidriver = pytest.importorskip("awscli.clidriver")
    for var, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_EC2_METADATA_DISABLED": "true",
                       "AWS_CONFIG_FILE": str(tmp_path / "config"),
                       "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}.items():
        monkeypatch.setenv(var, value)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    sent: list[dict[str, Any]] = []

    def answer(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        sent.append(params)
        return type("Response", (), {"status_code": 200})(), {"VpcEndpoint": {}}

    driver = clidriver.create_clidriver()
    driver.session.register("before-call.ec2.CreateVpcEndpoint", answer)
    cli, _ = commands()
    for command in cli:
        words = [w for word in shlex.split(command) for w in SHELL.get(word, [word])]
        assert driver.main(words[1:]) == 0, (command, capsys.readouterr().err)
    assert len(sent) == len(cli)
    for command, request in zip(cli, sent, strict=True):
        body = request["body"]
        assert request["url"] == f"https://ec2.{VPC}.amazonaws.com/"
        assert body["Action"] == "CreateVpcEndpoint" and body["VpcId"] == SHELL["$VPC_ID"][0]
        assert body["ServiceName"] in command
        assert body.get("ServiceRegion") == ("us-west-2" if "--service-region" in command
                                             else None)
        if body["VpcEndpointType"] == "Interface":
            assert body["PrivateDnsEnabled"] == (
                "false" if body["ServiceName"].endswith(".s3") else "true")
            assert [body["SubnetId.1"], body["SubnetId.2"]] == SHELL["$SUBNET_IDS"]
        else:
            assert [body["RouteTableId.1"], body["RouteTableId.2"]] == SHELL["$ROUTE_TABLE_IDS"]
    assert driver.main(["ec2", "create-vpc-endpoint", "--region", VPC, "--vpc-id", "vpc-1",
                        "--service-regoin", "us-west-2"]) != 0  # a misspelling is refused
    capsys.readouterr()


def documented(name: str) -> set[str]:
    lines = (DOCS / name).read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def tf_arguments(snippet: str) -> dict[str, list[str]]:
    """Argument names per ``aws_vpc_endpoint`` resource name in a snippet (top level of each
    block; comment lines skipped)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in snippet.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if start := re.fullmatch(r'resource "aws_vpc_endpoint" "(\w+)" \{', line):
            current = found.setdefault(start[1], [])
        elif line == "}":
            current = None
        elif current is not None and (arg := re.fullmatch(r"  (\w+) += .+", line)):
            current.append(arg[1])
    return found


def test_terraform_arguments_are_the_providers_documented_aws_vpc_endpoint_ones() -> None:
    allowed = documented("aws_vpc_endpoint_arguments.txt")
    _, tf = commands()
    endpoint_snippets = [s for s in tf if "aws_vpc_endpoint" in s]
    names = [tf_arguments(s) for s in endpoint_snippets]
    assert all(len(n) == 1 for n in names)  # one resource per snippet
    used = {a for n in names for args in n.values() for a in args}
    assert used <= allowed, used - allowed
    assert "service_region" in used and {"vpc_id", "service_name"} <= used
    # and the check can fail
    bad = endpoint_snippets[0].replace("vpc_id ", "vpc_ids ")
    assert not {a for args in tf_arguments(bad).values() for a in args} <= allowed


def test_one_terraform_resource_name_per_endpoint_across_a_report() -> None:
    """A report's snippets can go in one module: a resource name repeats only for the very same
    endpoint (the S3 gateway of both the S3 and the ECR advice)."""
    _, tf = commands()
    by_name: dict[str, set[str]] = {}
    for snippet in tf:
        for name in tf_arguments(snippet):
            by_name.setdefault(name, set()).add(snippet)
    assert {name for name, snippets in by_name.items() if len(snippets) > 1} == set()
    assert "s3" in by_name and "s3_us_west_2" in by_name


def terraform_fmt(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull,
           "TF_DATA_DIR": str(tmp_path / "tf-data")}
    return subprocess.run(["terraform", "fmt", "-check", "-no-color", "-"], input=text,
                          capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
                          timeout=60)


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_snippets_parse_as_hcl_in_terraforms_own_format(tmp_path: Path) -> None:
    _, tf = commands()
    done = terraform_fmt("\n".join(tf) + "\n", tmp_path)
    assert done.returncode == 0, (done.stdout, done.stderr)  # 2: not HCL, 3: not canonical
    assert terraform_fmt(tf[0].replace(" = ", " ", 1) + "\n", tmp_path).returncode == 2


def test_cross_region_table_is_what_aws_lists_less_the_said_exclusions() -> None:
    """CROSS_REGION_ENDPOINTS holds only names of AWS's cross-region page; what it leaves out
    is the FIPS names and the region-less IAM and Route 53 ones (recommend.py says why)."""
    listed = documented("cross_region_aws_services.txt")
    ours = {f"com.amazonaws.{{region}}.{suffix}" for names in CROSS_REGION_ENDPOINTS.values()
            for suffix in names}
    assert ours <= listed, ours - listed
    left_out = listed - ours
    assert {n for n in left_out if not n.endswith("-fips")} == {
        "com.amazonaws.iam", "com.amazonaws.route53"}
