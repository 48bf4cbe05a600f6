"""The teaching app: presets and settings, the drawings, the ``pcnsim app`` command, and a real browser.

The browser test serves the app exactly as users start it (``pcnsim app`` on loopback, in a subprocess),
drives Debian's chromium with Playwright's Python API, refuses every request that is not to the app
(so the page must work offline), and fails on any page error, failed request or 4xx/5xx response.

Every wait in it is a condition on the page (a week counter, a redrawn image, a button that changed),
polled under one generous ceiling (``helpers.CEILING_S``, 300 s unless ``PCNSIM_TEST_CEILING`` says
otherwise), never a fixed sleep or a tight budget: on a busy machine the test is slower, not red.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import CEILING_S, wait_until

from pcnsim.errors import PCNSimInputError

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]

pytest.importorskip("solara", reason="the app needs the 'app' extra (solara)")
warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")

from pcnsim import app_views  # noqa: E402
from pcnsim.app import INTERVENTIONS, PRESETS, AppModel, AppSettings, build_interventions  # noqa: E402


# ---------------------------------------------------------------------------------------------- settings
def test_every_preset_builds_and_runs():
    for key, preset in PRESETS.items():
        m = AppModel(settings=AppSettings(preset=key, weeks=52))
        assert m.missing_interventions == [], (key, m.missing_interventions)
        # what the preset asks for is what the model got
        for name, value in preset.params.items():
            assert getattr(m.params, name) == value, (key, name)
        assert sorted(iv.kind for iv in m.interventions) == sorted(d["type"] for d in preset.interventions)
        m.run(60)
        assert m.week == 52 and not m.running  # Play stops at the end of the run


def test_changes_sit_on_top_of_the_preset_and_a_new_preset_drops_them():
    s = AppSettings(preset="base_practice")
    assert s.value("practices_per_staff") == 2 and s.value("has_base") is True
    s2 = s.with_change("practices_per_staff", 4).with_change("pandemic", False)
    m = AppModel(settings=s2)
    assert m.params.practices_per_staff == 4 and m.params.has_base  # the change wins, the rest of the preset stays
    assert not m.is_pandemic(m.params.pandemic_start) and s2.value("pandemic") is False
    assert AppModel(settings=s2.with_change("pandemic", True)).is_pandemic(dt_date(2020, 6, 1))
    fresh = s2.with_preset("pandemic")
    assert fresh.changes == {} and fresh.value("practices_per_staff") == 3 and fresh.seed == s2.seed


def test_switching_interventions_on_and_off():
    s = AppSettings(preset="vaccination", start_week=13)
    assert s.is_on("shared_vaccination") and not s.is_on("team_days")
    s = s.with_switch("shared_vaccination", False).with_switch("team_days", True).with_switch("remote_policy", True)
    m = AppModel(settings=s)
    kinds = {iv.kind: iv for iv in m.interventions}
    assert set(kinds) == {"team_days", "remote_policy"}
    assert kinds["team_days"].start == 13  # switched on by hand: starts at the chosen week
    assert set(INTERVENTIONS) == set(__import__("pcnsim.interventions", fromlist=["REGISTRY"]).REGISTRY)
    with pytest.raises(PCNSimInputError, match="allowed"):
        AppSettings(switched={"free_lunch": True})
    with pytest.raises(PCNSimInputError, match="allowed presets"):
        AppSettings(preset="utopia")


def test_a_bad_intervention_table_is_left_out_with_a_reason_not_a_crash():
    built, left_out = build_interventions([{"type": "remote_policy"}, {"type": "team_days", "start": 0}])
    assert [iv.kind for iv in built] == ["team_days"]
    assert len(left_out) == 1 and "cap" in left_out[0]


def test_same_settings_same_run_and_the_seed_matters():
    def trace(**kw):
        m = AppModel(settings=AppSettings(**kw)).run(80)
        return m.datacollector.get_model_vars_dataframe()["Belonging (ARRS mean)"].to_numpy()

    a, b, c = trace(seed=3), trace(seed=3), trace(seed=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_docs_list_every_preset_and_control():
    from pcnsim.app import CONTROLS

    text = (ROOT / "docs" / "app.md").read_text()
    for p in PRESETS.values():
        assert f"| {p.title} |" in text, p.title
    for c in CONTROLS:
        assert f"| {c.label} |" in text, c.label


# ---------------------------------------------------------------------------------------------- drawings
def dt_date(y, m, d):
    import datetime as dt

    return dt.date(y, m, d)


@pytest.fixture(scope="module")
def model_100():
    return AppModel(settings=AppSettings(preset="vaccination")).run(100)


def test_charts_and_network_are_drawn(model_100):
    fig = app_views.charts_figure(model_100, 260)
    assert len(fig.axes) == 4
    lines = fig.axes[0].get_lines()
    assert len(lines[0].get_xdata()) == 101  # the start plus one point a week
    net = app_views.network_figure(model_100)
    ax = net.axes[0]
    n_nodes = sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_sizes") and len(c.get_sizes()))
    assert n_nodes >= model_100.headcount  # everyone in post is a node (plus recent leavers)
    assert any(type(c).__name__ == "LineCollection" for c in ax.collections)  # ties


def test_network_view_puts_based_staff_near_a_practice_and_split_staff_between():
    def mean_distance_to_nearest_practice(preset):
        m = AppModel(settings=AppSettings(preset=preset)).run(150)
        s = m.staff
        ids = s.active_ids()
        ids = ids[m.roles.arrs[s.role[ids]]]
        pos = app_views.staff_positions(m, ids)
        c = app_views.practice_centres(int(m.net_n_prac[0]))
        return np.linalg.norm(pos[:, None, :] - c[None, :, :], axis=2).min(axis=1).mean()

    assert mean_distance_to_nearest_practice("base_practice") < mean_distance_to_nearest_practice("split_everywhere")


def test_story_says_what_is_happening(model_100):
    text = app_views.story(model_100)
    assert text.startswith(f"**Week 100: {model_100.date:%d %B %Y}")
    assert "intend to leave" in text and "Joint vaccination clinics" in text
    before = AppModel(settings=AppSettings(preset="pandemic")).run(10)
    assert "not started" in app_views.story(before) and "Pandemic" not in app_views.story(before)
    during = AppModel(settings=AppSettings(preset="pandemic")).run(70)
    assert "Pandemic" in app_views.story(during)
    assert "Pandemic" not in app_views.story(AppModel(settings=AppSettings(preset="before_pandemic")).run(70))


# ---------------------------------------------------------------------------------------------- command line
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_app_command_rejects_bad_addresses(capsys):
    from pcnsim.cli import main

    with pytest.raises(SystemExit) as e:  # argparse refuses the flag
        main(["app", "--port", "70000"])
    assert e.value.code == 2 and "--port" in capsys.readouterr().err
    assert main(["app", "--host", "nowhere.invalid"]) == 2
    assert "--host" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    assert f"--port {port}: already in use" in capsys.readouterr().err


def test_loopback_by_default():
    from pcnsim.cli import build_parser
    from pcnsim.cli.app import is_loopback

    args = build_parser().parse_args(["app"])
    assert args.host == "127.0.0.1" and is_loopback(args.host)
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("0.0.0.0")


# ---------------------------------------------------------------------------------------------- browser
def _image_stats(png: bytes) -> tuple[int, float]:
    """Distinct colours and share of non-white pixels of a PNG screenshot."""
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    return len(np.unique(a, axis=0)), float((a.sum(axis=1) < 740).mean())


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """``pcnsim app`` on a free loopback port, as a subprocess; stopped at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-c", "import sys; from pcnsim.cli import main; sys.exit(main())",
           "app", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"pcnsim app exited with {proc.returncode}:\n{log.read_text()}")
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if time.perf_counter() - t0 > CEILING_S:
                    pytest.fail(f"pcnsim app did not answer within {CEILING_S:g} s:\n{log.read_text()}")
                time.sleep(0.3)
        print(f"\napp server up in {time.perf_counter() - t0:.1f} s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode is not None  # the server is gone


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/bootstrap.sh test installs "
                                             "Debian's chromium when it can)")
def test_app_in_a_real_browser_offline(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    problems: list[str] = []
    blocked: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    def watch(page):
        page.route("**/*", only_local)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))

    def time_is(week: int):
        return re.compile(rf"^Time: {week}(\.0)?$")

    ceiling_ms = CEILING_S * 1000
    expect.set_options(timeout=ceiling_ms)  # every expect(...) waits for its condition up to the ceiling
    read_time = ("() => (Array.from(document.querySelectorAll('.v-navigation-drawer *')).find(e =>"
                 " e.childElementCount === 0 && /^Time: /.test(e.textContent)) || {}).textContent")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.set_default_timeout(ceiling_ms)  # wait_for_function, clicks, screenshots
            watch(page)
            page.goto(app_url)
            step = page.get_by_role("button", name="Step", exact=True)
            expect(step).to_be_visible()
            expect(page.get_by_role("button", name="Reset", exact=True)).to_be_visible()
            expect(page.get_by_role("button", name="▶", exact=True)).to_be_visible()  # Play
            expect(page.get_by_text(time_is(0))).to_be_visible()

            # the charts and the network view are drawn: two images in the grid, not blank
            images = page.locator(".vue-grid-item img")
            expect(images).to_have_count(2)
            page.wait_for_function("() => Array.from(document.querySelectorAll('.vue-grid-item img'))"
                                   ".every(i => i.complete && i.naturalWidth > 300 && i.src.startsWith('blob:'))")
            charts, network = images.nth(0), images.nth(1)
            for name, img in (("charts", charts), ("network", network)):
                colours, ink = _image_stats(img.screenshot())
                assert colours > 50 and ink > 0.03, f"the {name} image looks blank ({colours} colours, {ink:.1%} ink)"
            expect(page.get_by_text("Week 0:")).to_be_visible()
            chart_before = hashlib.sha1(charts.screenshot()).hexdigest()

            # Step several times: the week counter, the story, the network view and the charts follow
            timings = []
            for week in range(1, 6):
                old = network.get_attribute("src")
                t0 = time.perf_counter()
                step.click()
                # redrawn: the counter shows the new week and the network view (titled with the week) is a
                # new, loaded image (polled every animation frame, so the time is not rounded up)
                page.wait_for_function(
                    "([week, old]) => { const i = document.querySelectorAll('.vue-grid-item img')[1];"
                    " const t = Array.from(document.querySelectorAll('.v-navigation-drawer *'))"
                    ".some(e => e.childElementCount === 0 && new RegExp(`^Time: ${week}(\\.0)?$`).test(e.textContent));"
                    " return t && i.src !== old && i.complete && i.naturalWidth > 0; }",
                    arg=[week, old])
                timings.append(time.perf_counter() - t0)
                expect(page.get_by_text(time_is(week))).to_be_visible()
            expect(page.get_by_text("Week 5:")).to_be_visible()
            wait_until(lambda: hashlib.sha1(charts.screenshot()).hexdigest() != chart_before,
                       "the charts to change after five steps", every=0.2)
            print(f"Step to redrawn page (default scenario, {len(timings)} steps): median "
                  f"{np.median(timings):.2f} s, min {min(timings):.2f} s, max {max(timings):.2f} s "
                  f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

            # a second browser session has its own model: it starts at week 0 and does not move the first
            other = browser.new_page(viewport={"width": 1200, "height": 900})
            other.set_default_timeout(ceiling_ms)
            watch(other)
            other.goto(app_url)
            expect(other.get_by_text(time_is(0))).to_be_visible()
            other.get_by_role("button", name="Step", exact=True).click()
            expect(other.get_by_text(time_is(1))).to_be_visible()
            expect(page.get_by_text(time_is(5))).to_be_visible()
            other.close()

            # switch a preset: the run restarts with the preset's interventions switched on
            page.get_by_label("Preset").click(force=True)
            page.get_by_role("option", name="The vaccination programme").click()
            expect(page.get_by_text(time_is(0))).to_be_visible()
            expect(page.get_by_role("heading", name="The vaccination programme")).to_be_visible()
            vacc = page.get_by_role("checkbox", name=INTERVENTIONS["shared_vaccination"])
            expect(vacc).to_be_checked()
            # the rebuilt run has been drawn (the story shows week 0) before Play is pressed
            expect(page.get_by_text("Week 0:")).to_be_visible()

            # Play runs on by itself until paused; Reset restarts the same scenario (not the default one)
            play, pause = page.get_by_role("button", name="▶", exact=True), page.get_by_role("button", name="❚❚", exact=True)
            play.click()
            expect(pause).to_be_visible()  # the click reached the page: it is playing
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.v-navigation-drawer *')).some(e =>"
                " e.childElementCount === 0 && /^Time: ([3-9]|[1-9][0-9]+)(\\.0)?$/.test(e.textContent))")
            pause.click()
            expect(play).to_be_visible()
            # SolaraViz's play loop may finish a step already under way after Pause: wait until the week
            # counter has been still for longer than the slowest step seen (at least a second), so that Reset
            # is not followed by that late step
            still_for = max(1.0, 3 * max(timings))
            last, still_since = page.evaluate(read_time), time.monotonic()
            while time.monotonic() - still_since < still_for:
                page.wait_for_timeout(200)
                now = page.evaluate(read_time)
                if now != last:
                    last, still_since = now, time.monotonic()
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(page.get_by_text(time_is(0))).to_be_visible()
            expect(page.get_by_role("heading", name="The vaccination programme")).to_be_visible()
            expect(page.get_by_text("Week 0:")).to_be_visible()

            # run into the programme: 25 weeks a click (SolaraViz's render interval), then a screenshot
            interval = page.get_by_role("slider", name="Render Interval (steps)")
            interval.focus()
            for _ in range(12):  # 1 -> 25, in steps of 2
                interval.press("ArrowRight")
            expect(interval).to_have_attribute("aria-valuenow", "25")
            # the slider reaches the server a moment later: Step until a click moves 25 weeks (so it has
            # arrived), then on to week 100 or more; every click waits until the counter moves
            week, jumps, deadline = 0, [], time.monotonic() + CEILING_S
            while week < 100:
                assert time.monotonic() < deadline, f"still at week {week} after {CEILING_S:g} s (jumps {jumps})"
                step.click()
                page.wait_for_function(
                    "w => { const t = Array.from(document.querySelectorAll('.v-navigation-drawer *'))"
                    ".map(e => e.textContent).find(x => /^Time: [0-9.]+$/.test(x));"
                    " return t && parseFloat(t.slice(6)) > w; }", arg=week)
                now = int(float(page.get_by_text(re.compile(r"^Time: [0-9.]+$")).inner_text()[6:]))
                jumps.append(now - week)
                week = now
            assert max(jumps) >= 25, f"the render interval never reached the server (jumps {jumps})"
            page.wait_for_function("() => Array.from(document.querySelectorAll('.vue-grid-item img'))"
                                   ".every(i => i.complete && i.naturalWidth > 300)")
            shot = tmp_path / "app.png"
            page.screenshot(path=shot)
            assert shot.stat().st_size > 50_000
            keep = ROOT / "docs" / "app-screenshot.png"  # the README's picture: written when missing or asked for
            if not keep.exists() or os.environ.get("PCNSIM_UPDATE_SCREENSHOT"):
                keep.parent.mkdir(exist_ok=True)
                shutil.copyfile(shot, keep)
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
    # nothing outside loopback was even asked for, so nothing was blocked
    assert not blocked, f"the page asked for outside addresses: {blocked}"
