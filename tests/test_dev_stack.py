"""`make run` from a fresh clone: the production stack on this machine, as each demo user sees it.

The clone holds what git would hand a newcomer (tracked files and new ones not ignored: no .venv,
node_modules, static/vendor or var/). `make run` in it installs everything, starts PostgreSQL and
Redis under var/, migrates, seeds the demo data and serves with granian, DEBUG off, a Celery
worker and beat. The tests then work as the demo users of complaints/management/commands/
seed_demo.py, over HTTP and in Chromium (a crawl of every page each role can reach, with
screenshots of both widths, 1366 px and 390 px, in var/screenshots/run-*.png), press
Ctrl-C, and start it again on the same data. At 390 px every role's pages are held to the
phone rules (no sideways scroll, text ≥ 14 px, tap targets ≥ 44 px): branch staff work on
phones, and nobody else should meet a page that breaks there.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.web_server import free_port

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "demo-pass-2026"  # the demo users' public password (README)
# Each demo user's home after logging in, and what it says.
HOMES = {
    "agent": ("/console/", "电话受理投诉"),
    "branch_a": ("/queue/", "网点工单队列 · 东区第一营业部"),
    "branch_b": ("/queue/", "网点工单队列 · 西区第一营业部"),
    "supervisor": ("/queue/", "工单队列（全部单位）"),
}
# A first start installs the virtualenv and the npm packages: minutes on a busy machine.
FIRST_START_SECONDS = 900
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# The environment of the test run points at its own throwaway servers; make run brings its own.
NOT_INHERITED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "DJANGO_SETTINGS_MODULE",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
)


def _fresh_clone() -> Path:
    """Copy what a clone would have: tracked files and new ones git does not ignore."""
    # Under /tmp, open to others: as root, PostgreSQL runs as 'postgres' and must reach var/.
    target = Path(tempfile.mkdtemp(prefix="make-run-", dir="/tmp"))
    target.chmod(0o755)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if not source.is_file():  # deleted in the work tree, not yet in a commit
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    return target


RESTORE_SIGINT_AND_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


def _processes_under(folder: Path) -> dict[int, str]:
    """Every process whose command line names the folder or that runs inside it."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if str(folder) in args or cwd.startswith(str(folder)):
            found[int(entry.name)] = args.strip()[:120]
    return found


@dataclass
class Stack:
    clone: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.clone / f"make-run-{self.starts}.log"

    def start(self, timeout: float) -> None:
        self.starts += 1
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        self.process = subprocess.Popen(
            # As from a terminal: SIGINT at its default even when this test runs as a background
            # job, whose shell ignored it (an ignored signal stays ignored through exec, and
            # run-local.sh could not trap the Ctrl-C below).
            [sys.executable, "-c", RESTORE_SIGINT_AND_EXEC, "make", "run", f"PORT={self.port}"],
            cwd=self.clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C goes to the group
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"make run exited {self.process.returncode}:\n{self.output()[-6000:]}")
            if "Ctrl-C stops everything" in self.output():
                return
            time.sleep(1)
        pytest.fail(f"make run did not start in {timeout:.0f} s:\n{self.output()[-6000:]}")

    def ctrl_c(self, timeout: float = 90) -> None:
        """What a terminal does on Ctrl-C: SIGINT to the foreground process group."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            left = _processes_under(self.clone)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.kill_what_is_left()  # so one failure cannot fail the tests after it
            pytest.fail(
                f"make run did not stop on Ctrl-C; still running: {left}\n{self.output()[-3000:]}"
            )

    def kill_what_is_left(self) -> None:
        """The servers run in sessions of their own: a SIGKILL to make's group misses them."""
        for pid in _processes_under(self.clone):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="module")
def stack():
    stack = Stack(_fresh_clone())
    try:
        stack.start(FIRST_START_SECONDS)
        yield stack
    finally:
        stack.ctrl_c()
        stack.kill_what_is_left()
        # Whatever the servers left behind in var/ (as root, PostgreSQL's files are its own).
        subprocess.run(["rm", "-rf", str(stack.clone)], check=False)


# --- HTTP as a browser would, without one ------------------------------------------------


class Session:
    """A cookie-keeping HTTP client logged in through the login form."""

    def __init__(self, base: str, username: str | None = None):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        if username:
            _status, page = self.get("/accounts/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            form = {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
            self.landed_status, self.landed, self.landed_url = self._open(
                "/accounts/login/", urllib.parse.urlencode(form).encode(), {}
            )

    def _open(self, path: str, data: bytes | None, headers: dict) -> tuple[int, str, str]:
        request = urllib.request.Request(f"{self.base}{path}", data=data, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), exc.url

    def get(self, path: str) -> tuple[int, str]:
        status, body, _url = self._open(path, None, {})
        return status, body

    def post_json(self, path: str, body: dict) -> tuple[int, dict]:
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        headers = {"Content-Type": "application/json", "X-CSRFToken": csrf}
        status, text, _url = self._open(path, json.dumps(body).encode(), headers)
        return status, json.loads(text) if text.startswith("{") else {"text": text}


def _wait_for(predicate, timeout: float, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


@pytest.fixture(scope="module")
def submitted(stack) -> str:
    """A complaint submitted through the API (the tests run in any order: each asks for it)."""
    status, body = Session(stack.base).post_json(
        "/api/v1/complaints/",
        {
            "tracking_no": "RUN0000000001",
            "complainant_name": "测试客户",
            "phone": "13800000099",
            "party": "recipient",
            "category": "damage",
            "description": "外箱破损，杯子碎了。",
        },
    )
    assert status == 201, body
    return body["ticket_no"]


def test_it_starts_the_production_stack(stack):
    var = stack.clone / "var"
    assert (var / "pgdata" / "PG_VERSION").exists() and (var / "run" / "redis.sock").exists()
    assert "granian, DEBUG off" in stack.output()
    first_start = (stack.clone / "make-run-1.log").read_text(errors="replace")
    assert re.search(r"演示数据就绪：7 个单位，6 个用户，新增 50 宗投诉", first_start)
    logs = var / "log"
    assert _wait_for(lambda: "ready." in (logs / "worker.log").read_text(), 60)
    assert "beat: Starting" in (logs / "beat.log").read_text()
    # Static files come from the app itself (WhiteNoise), compressed, with the favicon.
    with urllib.request.urlopen(f"{stack.base}/static/console/console.css", timeout=10) as r:
        assert r.status == 200 and "max-age" in r.headers["Cache-Control"]
    with urllib.request.urlopen(f"{stack.base}/favicon.ico", timeout=10) as r:
        assert r.status == 200 and r.read(4) == b"\x00\x00\x01\x00"


@pytest.mark.parametrize("username", sorted(HOMES))
def test_it_serves_each_demo_user_their_home(stack, username):
    session = Session(stack.base, username)
    path, heading = HOMES[username]
    assert session.landed_status == 200 and session.landed_url == f"{stack.base}{path}"
    assert heading in session.landed
    status, page = session.get("/notices/")
    assert status == 200 and "站内通知" in page


@pytest.mark.parametrize("username", ["supervisor", "branch_a"])
def test_it_shows_the_dashboard_with_numbers(stack, username):
    session = Session(stack.base, username)
    status, page = session.get("/dashboard/")
    assert status == 200 and "受理量" in page

    def received():
        status, body = session.get("/dashboard/api/kpis.json")
        assert status == 200, body
        kpis = {k["key"]: k["value"] for k in json.loads(body)["kpis"]}
        return kpis["received"]

    # The beat's rollup refresh (make run asks for one at start) fills the figures.
    assert _wait_for(received, 120), "the dashboard shows no complaints received"


def test_it_takes_a_submission_through_the_api(stack, submitted):
    status, page = Session(stack.base, "agent").get("/search/?q=RUN0000000001")
    assert status == 200 and submitted in page
    # The worker delivered the customer's acceptance SMS (console backend: its log).
    worker_log = stack.clone / "var" / "log" / "worker.log"
    assert _wait_for(lambda: submitted in worker_log.read_text(), 90)


def test_it_lets_one_of_three_agents_dispatch_at_once(stack):
    _status, body = Session(stack.base).post_json(
        "/api/v1/complaints/",
        {
            "tracking_no": "RUN0000000002",
            "complainant_name": "测试客户",
            "phone": "13800000098",
            "party": "sender",
            "category": "delay",
            "description": "快件三天未更新物流。",
        },
    )
    ticket = body["ticket_no"]
    agents = [Session(stack.base, "agent") for _ in range(3)]
    start = threading.Barrier(len(agents))
    answers: list[int] = []

    def dispatch(session):
        start.wait()
        status, _ = session.post_json(
            f"/api/v1/complaints/{ticket}/actions/dispatch/", {"unit": "B-EAST-1"}
        )
        answers.append(status)

    threads = [threading.Thread(target=dispatch, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 3 and answers.count(200) >= 1, answers
    assert set(answers) <= {200, 409}, answers  # never a 5xx, never "database is locked"
    _status, detail = agents[0].get(f"/api/v1/complaints/{ticket}/")
    detail = json.loads(detail)
    assert detail["status"] == "verifying" and detail["unit"] == "B-EAST-1"
    assert [e["event"] for e in detail["timeline"]].count("dispatch") == 1


def test_it_answers_404_with_its_own_chinese_page(stack):
    branch_a, branch_b = Session(stack.base, "branch_a"), Session(stack.base, "branch_b")
    _status, queue = branch_a.get("/queue/")
    theirs = re.search(r'data-ticket="(TS\d+)"', queue).group(1)
    for status, page in (branch_b.get(f"/tickets/{theirs}/"), branch_b.get("/no-such-page/")):
        assert status == 404
        assert "抱歉，您要找的页面或工单不存在" in page
        assert "URLconf" not in page and "Traceback" not in page  # not Django's debug page


# --- The crawl: every page each role reaches, in Chromium --------------------------------

SKIP = re.compile(
    r"^/(accounts/logout|i18n/|admin/.+|api/|static/|media/)"
    r"|/evidence/|\.(csv|xlsx|docx|pdf)(\?|$)|/statistics/|/export"
)
PAGES_PER_ROLE = 40
PRINT_VIEW = re.compile(r"/print/(\?|$)")


def _pattern(path: str) -> str:
    """Pages that differ only in an id are one page to look at (two of each are visited)."""
    return re.sub(r"\d+", "N", path.split("?")[0])


def _shot_name(username: str, pattern: str, width: int) -> str:
    words = re.sub(r"[^a-z]+", "-", pattern.lower()).strip("-") or "home"
    return f"run-{username}-{words}-{width}"


def _crawl(browser, stack, username: str, *, phone: bool, ticket_no: str) -> dict[str, list[str]]:
    from tests.browser.layout import header_problems, phone_problems

    screen = (
        {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
        if phone
        else {"viewport": {"width": 1366, "height": 768}}
    )
    context = browser.new_context(**screen, device_scale_factor=2 if phone else 1, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{stack.base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if username == "supervisor" and not phone:
        _register_an_appeal(page, stack, ticket_no)
        # The print view's PDF (WeasyPrint with the system's pango and CJK fonts): a download,
        # so fetched rather than crawled.
        pdf = page.request.get(f"{stack.base}/tickets/{ticket_no}/print.pdf")
        assert pdf.status == 200, pdf.text()[:300]
        assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    problems: dict[str, list[str]] = {}
    seen_patterns: dict[str, int] = {}
    # The home, and search (reached by a form, not a link).
    queue, visited = ["/", "/search/?q=DEMO009000001"], set()
    width = 390 if phone else 1366
    while queue and len(visited) < PAGES_PER_ROLE:
        path = queue.pop(0)
        pattern = _pattern(path)
        if path in visited or seen_patterns.get(pattern, 0) >= 2:
            continue
        visited.add(path)
        seen_patterns[pattern] = seen_patterns.get(pattern, 0) + 1
        errors.clear()
        response = page.goto(f"{stack.base}{path}")
        page.wait_for_load_state("networkidle")
        found = []
        if response is None or response.status != 200:
            found.append(f"answered {response.status if response else 'nothing'}")
        if not CHINESE.search(page.locator("body").inner_text()):
            found.append("no Chinese text")
        found += [f"console: {e}" for e in errors]
        if phone:
            found += phone_problems(page)
        elif not PRINT_VIEW.search(path):  # an A4 document: no navigation header by design
            found += header_problems(page)
        if found:
            problems[path] = found
        if seen_patterns[pattern] == 1:
            page.screenshot(
                path=str(SCREENSHOTS / f"{_shot_name(username, pattern, width)}.png"),
                full_page=True,
            )
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            url = urllib.parse.urlsplit(href)
            local = url.path + (f"?{url.query}" if url.query else "")
            if url.netloc == f"127.0.0.1:{stack.port}" and not SKIP.search(local):
                queue.append(local)
    context.close()
    assert len(visited) >= 4, visited
    return problems


def _register_an_appeal(page, stack, ticket_no: str) -> None:
    """The regulator liaison registers a forwarded appeal in the browser (the list then has one)."""
    page.goto(f"{stack.base}/regulators/appeals/new/?ticket_no={ticket_no}")
    page.fill("#id_case_no", "SG-RUN-0001")
    page.fill("#id_regulator_received_on", time.strftime("%Y-%m-%d"))
    page.select_option("#id_province", label="广东")
    page.fill("#id_appellant_name", "测试申诉人")
    page.fill("#id_appellant_phone", "13800000099")
    page.fill("#id_facts", "投诉后未获满意答复。")
    page.fill("#id_request", "要求赔偿。")
    page.click("#appeal-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "已登记申诉 SG-RUN-0001" in page.locator(".alert-success").inner_text()


def test_it_serves_every_page_to_every_role_in_the_browser(stack, submitted):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            for username in sorted(HOMES):
                for phone in (False, True):
                    found = _crawl(browser, stack, username, phone=phone, ticket_no=submitted)
                    problems.update(
                        {
                            f"{username} {'390' if phone else '1366'} {k}": v
                            for k, v in found.items()
                        }
                    )
        finally:
            browser.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_it_stops_on_ctrl_c_and_starts_again_on_the_same_data(stack, submitted):
    var = stack.clone / "var"
    stack.ctrl_c()
    # PostgreSQL and Redis stopped with the app: no server, no socket left.
    assert not (var / "pgdata" / "postmaster.pid").exists()
    assert not (var / "run" / "redis.sock").exists()
    assert "stopped; the data stays in var/" in stack.output()
    stack.start(300)
    assert "新增 0 宗投诉" in stack.output()  # the demo data was kept, not loaded twice
    status, page = Session(stack.base, "agent").get(f"/search/?q={submitted}")
    assert status in (200, 302) and submitted in page
    stack.ctrl_c()
    assert not (var / "pgdata" / "postmaster.pid").exists()
    assert not (var / "run" / "redis.sock").exists()
    for log in [stack.clone / "make-run-1.log", stack.log, *(var / "log").glob("*.log")]:
        assert "Traceback" not in log.read_text(errors="replace"), log
    stack.start(300)  # running again for the tests that come after this one (any order)
