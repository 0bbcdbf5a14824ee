"""execution-environment.yml is an ansible-builder 3 definition whose contents match what the repository pins and
tests: ansible-core and the AWS SDK from requirements.txt, amazon.aws as installed in .venv, and
this collection from its source, which names its own Python needs in meta/execution-environment.yml."""

import json
import re
from importlib.util import find_spec
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COLLECTION = REPO / "collections" / "ansible_collections" / "mlperimeter" / "aws"
DEFINITION = yaml.safe_load((REPO / "execution-environment.yml").read_text())
PINS = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (REPO / "requirements.txt").read_text(), re.MULTILINE))
STEPS = ["prepend_base", "append_base", "prepend_galaxy", "append_galaxy", "prepend_builder", "append_builder",
         "prepend_final", "append_final"]
STRINGS = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
PACKAGE_PIP = {"type": "object", "additionalProperties": False, "required": ["package_pip"],
               "properties": {"package_pip": {"type": "string"}}}
# The parts of ansible-builder 3's definition schema this file uses, as strict as ansible-builder is.
SCHEMA_V3 = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "images", "dependencies"],
    "properties": {
        "version": {"const": 3},
        "build_arg_defaults": {"type": "object"},
        "images": {
            "type": "object", "additionalProperties": False, "required": ["base_image"],
            "properties": {"base_image": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "minLength": 1}, "signature_original_name": {"type": "string"}}}},
        },
        "dependencies": {
            "type": "object", "additionalProperties": False,
            "required": ["ansible_core", "ansible_runner", "python", "galaxy"],
            "properties": {
                "python": STRINGS,
                "galaxy": {"anyOf": [{"type": "object"}, STRINGS]},
                "system": STRINGS,
                "python_interpreter": {"type": "object", "additionalProperties": False, "properties": {
                    "package_system": {"type": "string"}, "python_path": {"type": "string"}}},
                "ansible_core": PACKAGE_PIP,
                "ansible_runner": PACKAGE_PIP,
                "exclude": {"type": "object"},
            },
        },
        "additional_build_files": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["src", "dest"],
            "properties": {"src": {"type": "string"}, "dest": {"type": "string"}}}},
        "additional_build_steps": {"type": "object", "additionalProperties": False,
                                   "properties": {step: STRINGS for step in STEPS}},
        "options": {"type": "object", "additionalProperties": False, "properties": {
            "package_manager_path": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
            "relax_passwd_permissions": {"type": "boolean"}, "skip_ansible_check": {"type": "boolean"},
            "skip_pip_install": {"type": "boolean"}, "skip_pip_check": {"type": "boolean"},
            "workdir": {"type": ["string", "null"]}, "user": {"type": "string"}, "container_init": {"type": "object"},
        }},
    },
}


def requirement(line):
    name, operator, version = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(==|>=)\s*(\S+)", line.split("#")[0].strip()).groups()
    return name, operator, version


def installed_collection_version(name):
    namespace, collection = name.split(".")
    # The collections the `ansible` package installs next to ansible-core, which the tests run with.
    installed = Path(find_spec("ansible").origin).parents[1] / "ansible_collections" / namespace / collection
    return json.loads((installed / "MANIFEST.json").read_text())["collection_info"]["version"]


def test_the_definition_follows_ansible_builders_version_3_schema():
    jsonschema.validate(DEFINITION, SCHEMA_V3)


@pytest.mark.parametrize("broken", [
    {"version": 2},
    {"dependencies": {**DEFINITION["dependencies"], "pip": ["boto3"]}},
    {"additional_build_steps": {"append": ["RUN true"]}},
    {"additional_build_files": [{"src": "x"}]},
])
def test_the_schema_check_refuses_what_ansible_builder_refuses(broken):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**DEFINITION, **broken}, SCHEMA_V3)


def test_ansible_core_is_the_pinned_one():
    assert requirement(DEFINITION["dependencies"]["ansible_core"]["package_pip"]) == (
        "ansible-core", "==", PINS["ansible-core"])
    assert requirement(DEFINITION["dependencies"]["ansible_runner"]["package_pip"])[1] == "=="


def test_python_dependencies_are_the_aws_sdk_as_pinned_in_requirements():
    python = dict(requirement(line)[::2] for line in DEFINITION["dependencies"]["python"])
    assert {"boto3", "botocore"} <= set(python)
    assert python == {name: PINS[name] for name in python}
    assert all(requirement(line)[1] == "==" for line in DEFINITION["dependencies"]["python"])


def test_collections_are_the_versions_the_tests_run_and_this_collection_from_source():
    collections = DEFINITION["dependencies"]["galaxy"]["collections"]
    from_galaxy = {c["name"]: c["version"] for c in collections if "type" not in c}
    assert from_galaxy == {name: installed_collection_version(name) for name in ("amazon.aws",)}
    (local,) = [c for c in collections if c.get("type") == "dir"]
    (copied,) = [f for f in DEFINITION["additional_build_files"] if Path(local["name"]).name == f["dest"]]
    # The galaxy stage copies the build context's _build/ to /build.
    assert local["name"] == f"/build/{copied['dest']}"
    assert (REPO / copied["src"]).resolve() == COLLECTION
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    assert (galaxy["namespace"], galaxy["name"]) == ("mlperimeter", "aws")
    assert set(galaxy["dependencies"]) == set(from_galaxy)


def test_the_collection_names_its_python_needs_for_any_execution_environment():
    meta = yaml.safe_load((COLLECTION / "meta" / "execution-environment.yml").read_text())
    lines = [line for line in (COLLECTION / meta["dependencies"]["python"]).read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    needs = {name: (operator, version) for name, operator, version in map(requirement, lines)}
    assert needs == {"boto3": (">=", PINS["boto3"]), "botocore": (">=", PINS["botocore"]),
                     "mitogen": (">=", PINS["mitogen"])}
