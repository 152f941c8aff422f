"""Helpers of the report tests: a small corpus written for them, and a headless-Chromium
driver over the DevTools protocol.

Debian's ``chromium`` package and the ``websocket-client`` module are all the driver needs
(no downloaded browser builds). The browser runs with a fresh profile and no network
features; every console message, exception, dialog and request is recorded so tests
can assert that a page ran cleanly and asked for nothing.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------- a corpus for the report tests
# Written for these tests. 01 and 02 are identical; 03 is 01 with names and figures changed;
# 04's last paragraph is copied inside a longer paragraph of 05; 06 is hostile: its file name,
# title and text carry markup that must stay text, and it copies the same paragraph of 04.
A_TITLE = "甲区市场监督管理局2024年工作总结"
A_PARAS = [
    "2024年，甲区市场监督管理局坚持问题导向，围绕食品安全、特种设备和消费维权三项重点，完成了年初确定的各项目标任务。",
    "全年新登记市场主体2716户，同比增长8.5%，其中企业903户；在东湖街道、西山镇设立帮办窗口4个，累计代办业务730余件。",
    "开展食品安全专项检查21次，出动执法人员1560人次，检查生产经营单位2380家次，责令整改问题隐患134处，抽检食品1290批次。",
    "受理消费投诉举报3925件，按时办结率98.7%，为消费者挽回经济损失112万元，新增放心消费示范单位47家。",
]
C_TITLE = "乙区市场监督管理局2024年工作总结"
C_PARAS = [
    "2024年，乙区市场监督管理局坚持问题导向，围绕食品安全、特种设备和消费维权三项重点，完成了年初确定的各项目标任务。",
    "全年新登记市场主体3094户，同比增长11.2%，其中企业1120户；在南关街道、北岭镇设立帮办窗口6个，累计代办业务815余件。",
    "开展食品安全专项检查17次，出动执法人员1430人次，检查生产经营单位2056家次，责令整改问题隐患98处，抽检食品1175批次。",
    "受理消费投诉举报4310件，按时办结率99.1%，为消费者挽回经济损失96万元，新增放心消费示范单位52家。",
]
D_TITLE = "县水利局2024年工作总结"
RIVER = ("在河湖长制方面，我们坚持“一河一策、一湖一档”，组织巡河员对辖区河道开展常态化巡查，清理河道垃圾和违章搭建，"
         "做到发现一处、整治一处、销号一处。")
D_PARAS = [
    "今年以来，县水利局以保障防洪安全和供水安全为主线，新建加固堤防十二公里，完成病险水库除险加固三座。",
    "农村供水方面，实施集中供水管网延伸工程，新增受益人口一万八千人，农村自来水普及率提高到百分之九十六。",
    RIVER,
]
E_TITLE = "镇人民政府2024年工作总结"
E_PARAS = [
    "本镇聚焦乡村振兴，发展特色种植基地六个，带动农户增收，村集体经济收入全部超过二十万元。",
    "（二）守护绿水青山。围绕生态宜居目标，镇党委政府把河湖治理摆上重要位置。" + RIVER + "全年未发生水污染事件。",
    "下一步，本镇将继续完善基础设施，提升公共服务水平，推动各项工作再上新台阶。",
]
HOSTILE_FILE = '06_"><img src=x onerror=window.__xss=5>.txt'
HOSTILE_TITLE = "<script>window.__xss=1</script>"
HOSTILE_PARAS = [
    '第一段含有恶意标记"><img src=x onerror="window.__xss=2">以及</textarea><svg onload="window.__xss=3">等内容，'
    "用来检查报告是否把它们当作文字。",
    RIVER + "</script><script>window.__xss=4</script>\u2028结束<!--。",
    "第三段：&lt;b&gt;不是标签&lt;/b&gt;，还有 ]]> 与 javascript:window.__xss=6 之类的字符。",
]
HOSTILE_STRINGS = ["<script>window.__xss=1</script>", '"><img src=x onerror="window.__xss=2">', "</textarea>",
                   "</script><script>window.__xss=4</script>", '"><img src=x onerror=window.__xss=5>']


def write_corpus(folder: Path, hostile: bool = True) -> Path:
    """Write the report tests' corpus as one .txt file per document; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"01_a.txt": (A_TITLE, A_PARAS), "02_a_copy.txt": (A_TITLE, A_PARAS), "03_c.txt": (C_TITLE, C_PARAS),
             "04_d.txt": (D_TITLE, D_PARAS), "05_e.txt": (E_TITLE, E_PARAS)}
    if hostile:
        files[HOSTILE_FILE] = (HOSTILE_TITLE, HOSTILE_PARAS)
    for name, (title, paras) in files.items():
        (folder / name).write_text("\n".join([title, *paras]) + "\n", encoding="utf-8")
    return folder


# ---------------------------------------------------------------------- the browser
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
    "--window-size=1280,900", "--remote-debugging-port=0", "--allow-file-access-from-files",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless browser with one page; use as a context manager."""

    def __init__(self, binary: str, profile: Path, timeout: float = 30.0) -> None:
        import websocket  # websocket-client

        self.timeout = timeout
        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise BrowserError(f"{binary} did not start (exit code {self.proc.returncode})")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        page = None
        while page is None:
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout).read())
            page = next((t for t in targets if t.get("type") == "page"), None)
            if page is None:
                if time.monotonic() > deadline:
                    self.close()
                    raise BrowserError("the browser opened no page")
                time.sleep(0.05)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    # ------------------------------------------------------------------ protocol
    def _event(self, msg: dict[str, Any]) -> None:
        self.events.append(msg)
        if msg.get("method") == "Page.javascriptDialogOpening":
            # a dialog blocks the page; record it and dismiss it so the test can report it
            self.ws.send(json.dumps({"id": -1, "method": "Page.handleJavaScriptDialog", "params": {"accept": True}}))

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._event(msg)

    def pump(self, seconds: float) -> None:
        """Let the page run for a while, collecting its events."""
        end = time.monotonic() + seconds
        self.ws.settimeout(0.05)
        try:
            while time.monotonic() < end:
                try:
                    msg = json.loads(self.ws.recv())
                except Exception:  # a read timeout: nothing happened in this slice
                    continue
                if "method" in msg:
                    self._event(msg)
        finally:
            self.ws.settimeout(self.timeout)

    # ------------------------------------------------------------------ page helpers
    def open(self, path: Path, fragment: str = "") -> None:
        """Load ``path`` (with ``#fragment``) as a new page, the way a link from outside opens it."""
        self.send("Page.navigate", url="about:blank")  # else the same file with another fragment never reloads
        self.pump(0.1)
        self.events.clear()
        self.send("Page.navigate", url=path.resolve().as_uri() + (f"#{fragment}" if fragment else ""))
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            if time.monotonic() > deadline:
                raise BrowserError(f"{path} did not load")
            self.pump(0.1)
        self.pump(0.2)

    def js(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise BrowserError(f"{expression[:80]}: {res['exceptionDetails'].get('exception', {}).get('description')}")
        return res.get("result", {}).get("value")

    def click(self, x: float, y: float) -> None:
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        self.pump(0.2)

    def hover(self, x: float, y: float) -> None:
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        self.pump(0.1)

    def pdf(self) -> bytes:
        """The page as "Save as PDF" prints it (A4, the page's own print stylesheet)."""
        data = self.send("Page.printToPDF", paperWidth=8.27, paperHeight=11.69, preferCSSPageSize=True,
                         printBackground=True)["data"]
        return base64.b64decode(data)

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and dialogs seen since the page was opened."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}), ensure_ascii=False)[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                out.append(f"console.{p['type']}: " + json.dumps(p.get("args"), ensure_ascii=False)[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                out.append("log: " + p["entry"].get("text", "")[:300])
            elif m == "Page.javascriptDialogOpening":
                out.append("dialog: " + p.get("message", ""))
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]
