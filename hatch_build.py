"""Build hook: the built browser SDK (sdk-js/dist, from scripts/build-sdk.sh) goes into the
wheel as gateway/sdk/, so a `pip install` serves /sdk/v1/*.js without Node. A release wheel
without it is refused; an editable install (`make install`, before `make sdk`) needs none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class SdkBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        dist = Path(self.root) / "sdk-js" / "dist"
        if self.target_name == "wheel" and version == "editable":
            return
        if not (dist / "gateway.min.js").is_file():
            raise RuntimeError("sdk-js/dist is missing: run `make sdk` (Node 20) before building")
        target = "gateway/sdk" if self.target_name == "wheel" else "sdk-js/dist"
        build_data["force_include"][str(dist)] = target
