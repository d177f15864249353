"""The application framework: app specs, the workflow runner, steps, knowledge bases, MCP."""

from strata.apps.errors import (
    AppNotFound,
    GateFailed,
    InvalidAppInput,
    InvalidAppSpec,
    KnowledgeBaseNotFound,
    McpNotAllowed,
    RunNotFound,
    StepFailed,
    StepRejected,
)
from strata.apps.kb import BuildResult, KnowledgeBases
from strata.apps.kb_index import Hit
from strata.apps.runner import Runner
from strata.apps.service import Apps, Published, kb_root, open_apps
from strata.apps.spec import AppSpec, StepSpec, load_app, parse_app
from strata.apps.steps import FUNCTIONS, STEPS, Services, Step, StepContext
from strata.apps.store import AppStore, AppVersion
from strata.apps.trace import RunResult, StepTrace

__all__ = [
    "FUNCTIONS",
    "STEPS",
    "AppNotFound",
    "AppSpec",
    "AppStore",
    "AppVersion",
    "Apps",
    "BuildResult",
    "GateFailed",
    "Hit",
    "InvalidAppInput",
    "InvalidAppSpec",
    "KnowledgeBaseNotFound",
    "KnowledgeBases",
    "McpNotAllowed",
    "Published",
    "RunNotFound",
    "RunResult",
    "Runner",
    "Services",
    "Step",
    "StepContext",
    "StepFailed",
    "StepRejected",
    "StepSpec",
    "StepTrace",
    "kb_root",
    "load_app",
    "open_apps",
    "parse_app",
]
