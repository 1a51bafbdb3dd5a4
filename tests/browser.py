"""Driving the chat widget in a real browser: Debian's chromium under Playwright.

Playwright's own browser downloads are never used: `make browser` installs the
`chromium` package and axe-core (npm, into tests/axe/).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Locator, Page, Playwright

from core import ROOT

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TURN_TIMEOUT = 60_000  # ms: a turn that creates a case may wait for the case system

# The widget's state, read through its (open) shadow root.
STATE_JS = """() => {
  const root = document.querySelector('#balie-widget')?.shadowRoot;
  if (!root) return null;
  const typing = root.querySelector('.balie-typen');
  return {
    bots: root.querySelectorAll('.balie-bot:not(.balie-intro)').length,
    users: root.querySelectorAll('.balie-inwoner').length,
    pending: root.querySelectorAll('.balie-wacht').length,
    typing: Boolean(typing && !typing.hidden),
    open: !root.querySelector('.balie-paneel').hidden,
    status: root.querySelector('.balie-status').textContent,
  };
}"""
TURN_DONE_JS = f"""(before) => {{
  const s = ({STATE_JS})();
  return s && s.bots > before && !s.typing && s.pending === 0;
}}"""
ACTIVE_JS = """() => {
  const host = document.activeElement;
  const inner = host && host.shadowRoot ? host.shadowRoot.activeElement : null;
  if (!inner) return {host: host ? host.tagName : null};
  const style = getComputedStyle(inner);
  return {
    host: host.id, tag: inner.tagName, text: inner.textContent.trim(),
    cls: inner.className, label: inner.getAttribute('aria-label'),
    outline: style.outlineStyle + ' ' + style.outlineWidth, shadow: style.boxShadow,
  };
}"""


async def launch(playwright: Playwright) -> Browser:
    if not await asyncio.to_thread(CHROMIUM.exists):
        raise RuntimeError(f"{CHROMIUM} is missing: run `make browser`")
    return await playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"]
    )


class Widget:
    """The chat widget on a page, used as a resident would."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator(".balie-launcher")
        self.input = page.get_by_label("Uw bericht")
        self.log = page.locator(".balie-log")
        self.live = page.locator("[aria-live=polite]")

    async def state(self) -> dict[str, Any]:
        return await self.page.evaluate(STATE_JS)

    async def active(self) -> dict[str, Any]:
        """The focused element inside the widget, with its focus style."""
        return await self.page.evaluate(ACTIVE_JS)

    async def open(self) -> None:
        await self.launcher.click()
        await self.input.wait_for(state="visible")
        await self.page.wait_for_function(
            "() => document.querySelector('#balie-widget').shadowRoot"
            ".querySelector('.balie-status').textContent === ''"
        )

    async def reload(self) -> None:
        """Reload the page; wait until the transcript is back (as long as it was)."""
        shown = await self.page.locator(".balie-bericht").count()
        await self.page.reload()
        await self.page.wait_for_function(
            "(n) => document.querySelector('#balie-widget')?.shadowRoot"
            ".querySelectorAll('.balie-bericht').length >= n",
            arg=shown,
        )

    async def _turn(self, send: Any) -> str:
        """Do something that sends a message; wait for the whole answer; return its text."""
        before = (await self.state())["bots"]
        await send()
        await self.page.wait_for_function(TURN_DONE_JS, arg=before, timeout=TURN_TIMEOUT)
        return "\n".join((await self.bot_texts())[before:])

    async def say(self, text: str) -> str:
        async def send() -> None:
            await self.input.fill(text)
            await self.input.press("Enter")

        return await self._turn(send)

    def choice(self, title: str) -> Locator:
        return self.page.locator(".balie-keuzes button:not([disabled])", has_text=title).last

    async def click(self, title: str) -> str:
        return await self._turn(lambda: self.choice(title).click())

    async def upload(self, name: str, data: bytes, mime: str = "image/jpeg") -> str:
        async def send() -> None:
            async with self.page.expect_file_chooser() as chooser:
                await self.page.get_by_role("button", name="Foto toevoegen").click()
            await (await chooser.value).set_files(
                files=[{"name": name, "mimeType": mime, "buffer": data}]
            )

        return await self._turn(send)

    async def transcript(self) -> list[str]:
        return await self.page.locator(".balie-bericht").all_inner_texts()

    async def bot_texts(self) -> list[str]:
        return await self.page.locator(".balie-bot:not(.balie-intro)").all_inner_texts()

    async def user_texts(self) -> list[str]:
        return [
            t.removeprefix("U:").strip()
            for t in await self.page.locator(".balie-inwoner").all_inner_texts()
        ]

    async def wait_for_bot(self, text: str, timeout: float = 30_000) -> None:
        await self.page.locator(".balie-bot", has_text=text).last.wait_for(timeout=timeout)


async def axe_violations(page: Page, tags: list[str] = WCAG_AA) -> list[dict[str, Any]]:
    """Run axe-core in the page; its violations, trimmed to what a failure message needs."""
    # Evaluated through the DevTools protocol, so the page's strict CSP does not block it.
    await page.evaluate(await asyncio.to_thread(AXE.read_text) + "\n;true")
    result = await page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", tags
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "summary": [n.get("failureSummary") for n in v["nodes"]][:2],
        }
        for v in result["violations"]
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=2, ensure_ascii=False)
