"""The start-up hook rule: a wheel that makes the interpreter run its code with no import of it."""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import Action, Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, evidence, missing


class StartupHookRule:
    id = "startup-hook"
    rationale = "A .pth import line or sitecustomize runs at every interpreter start, before any import."
    help = (
        "Fails for a wheel that installs a `.pth` file with an `import` line, or a top-level "
        "`sitecustomize`/`usercustomize`: `site` runs them in every Python process of the "
        "environment, whether the package is used or not (the way malicious packages persist, "
        "and how coverage tools hook subprocesses). A `.pth` of plain paths only warns. Read from "
        "the wheel's zip directory by range requests; unknown for an sdist-only version."
    )
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        hooks = facts.startup_hooks
        if not isinstance(hooks, Known):
            return [missing("startup_hooks", hooks)]
        if not hooks.value:
            return []
        running = [hook.member for hook in hooks.value if hook.runs_code]
        paths = [hook.member for hook in hooks.value if not hook.runs_code]
        if running:
            return [
                Hit(
                    message=f"{package.ref} installs start-up code that runs in every Python process: "
                    + ", ".join(running),
                    evidence=evidence("startup_hooks", hooks),
                    remediation="review what the hook runs, then allowlist this version; "
                    "or choose a package that needs no start-up hook",
                )
            ]
        return [
            Hit(
                message=f"{package.ref} installs .pth files that only extend sys.path: " + ", ".join(paths),
                evidence=evidence("startup_hooks", hooks),
                remediation="check the paths point inside the environment",
                action=Action.WARN,
            )
        ]
