"""Render a real job summary as GitHub shows it, and take a picture of it for the README.

Publishes the example as 2.0.0 over a history whose 1.0.0 had one more input
(a real registry, the emulator, the action), renders the summary with cmark-gfm
(GitHub's Markdown renderer) under a style close to GitHub's, and screenshots
it with Debian's headless Chromium (``apt-get install chromium``; Pillow, which
the dev requirements bring with matplotlib, trims it):

    .venv/bin/python -m devtools.render_summary docs/summary.png
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cmarkgfm
from PIL import Image, ImageChops

from akua_emulator import Emulator, Grant, Store
from devtools.action import ROOT, run_action
from devtools.registry import LocalRegistry

STYLE = """
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
       font-size: 14px; line-height: 1.5; color: #1f2328; background: #fff; margin: 0; padding: 24px; width: 1100px; }
h3 { font-size: 1.25em; margin: 16px 0; } h4 { font-size: 1em; margin: 24px 0 12px; }
table { border-collapse: collapse; margin: 0 0 16px; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; text-align: left; vertical-align: top; }
tr:nth-child(2n) { background: #f6f8fa; } th { font-weight: 600; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 85%;
       background: rgba(129,139,152,0.12); padding: .2em .4em; border-radius: 6px; }
pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; } pre code { background: none; }
"""
EMOJI = {":white_check_mark:": "✅", ":boom:": "💥", ":warning:": "⚠️", ":test_tube:": "🧪", ":x:": "❌"}


def summary_of_a_breaking_major() -> str:
    token = "sk_akua_render_" + secrets.token_hex(16)
    current = json.loads((ROOT / "examples/hello/exported/inputs.schema.json").read_text())
    before = copy.deepcopy(current)
    before["properties"]["legacy"] = {"type": "string", "description": "Removed in 2.0.0."}
    before["properties"]["port"]["default"] = 80
    with LocalRegistry() as registry, tempfile.TemporaryDirectory(prefix="akua-render-") as work:
        store = Store()
        store.grants[token] = Grant(("ws_demo",))
        emulator = Emulator(store).start()
        package_id = store.add_package("ws_demo", "hello", {"kind": "oci",
                                                             "oci_ref": f"oci://{registry.host}/examples/hello"},
                                       semver="1.0.0", input_schema=before)
        checkout = Path(work) / "checkout"
        shutil.copytree(ROOT / "examples/hello", checkout / "hello")
        toml = checkout / "hello/akua.toml"
        toml.write_text(re.sub(r'version = "[^"]+"', 'version = "2.0.0"', toml.read_text(), count=1))
        run = run_action(checkout, {"package-id": package_id, "path": "hello", "api-url": emulator.base_url},
                         {"GITHUB_REF": "refs/tags/v2.0.0", "AKUA_API_TOKEN": token})
        emulator.shutdown()
    if run.returncode != 0:
        raise SystemExit(run.log)
    return run.summary


def render(markdown: str, picture: Path) -> None:
    for code, emoji in EMOJI.items():  # GitHub renders these shortcodes; cmark-gfm leaves them as text
        markdown = markdown.replace(code, emoji)
    html = f"<!doctype html><meta charset=utf-8><style>{STYLE}</style><body>" + \
        cmarkgfm.github_flavored_markdown_to_html(markdown) + "</body>"
    with tempfile.TemporaryDirectory(prefix="akua-render-") as work:
        page = Path(work, "summary.html")
        page.write_text(html, encoding="utf-8")
        subprocess.run([
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={work}/profile", "--hide-scrollbars", "--window-size=1150,2000",
            f"--screenshot={picture.resolve()}", page.as_uri(),
        ], check=True, capture_output=True, timeout=120)
    with Image.open(picture) as shot:  # cut the empty page below the summary
        box = ImageChops.invert(shot.convert("RGB")).getbbox()
        if box:
            shot.crop((0, 0, shot.width, min(shot.height, box[3] + 24))).save(picture, optimize=True)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/summary.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    render(summary_of_a_breaking_major(), target)
    print(f"wrote {target}")
