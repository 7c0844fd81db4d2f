"""``tcrm ics serve``: the live feed over real HTTP on loopback (127.0.0.1, a free port).

Every request has a timeout and every loop a bound; servers are stopped by each test.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import icalendar
import pytest
import vobject

from tcrm.ics.server import MAX_PER_CLIENT, FeedServer, route
from tests.clitools import run
from tests.servetools import FEED, TIMEOUT, TOKEN, ServeProcess, get, serve_in_thread


def raw(port: int, request_line: str) -> int:
    """Send a request line exactly as written (no client-side normalisation); the status."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(f"{request_line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        for _ in range(1000):  # bounded read until the server closes
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b"\r\n", 1)[0].split()[1])
    if status != 200:  # nothing of the workspace leaks into an error
        assert b"Northwind" not in data and b"version:" not in data
    return status


@pytest.fixture
def serving(sample_ws: Path) -> Iterator[FeedServer]:
    """A feed server on a free loopback port, with a token, in a background thread."""
    yield from serve_in_thread(sample_ws, TOKEN)


# --- the feed -------------------------------------------------------------------------


def test_feed_is_200_text_calendar_with_validators_and_equals_the_export(
    serving, sample_ws
) -> None:
    answer = get(serving.port, FEED)
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{32}"', answer.headers["etag"])
    modified = answer.headers["last-modified"]
    assert modified.endswith(" GMT")
    assert int(answer.headers["content-length"]) == len(answer.body)
    exported = run("ics", "export")
    assert exported.code == 0
    assert answer.body == exported.out.encode("utf-8")
    cal = icalendar.Calendar.from_ical(answer.body)
    assert len(cal.walk("VEVENT")) == len(vobject.readOne(answer.body.decode()).vevent_list)

    head = get(serving.port, FEED, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["etag"] == answer.headers["etag"]
    assert head.headers["content-length"] == answer.headers["content-length"]


def test_conditional_requests_get_304(serving) -> None:
    first = get(serving.port, FEED)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = get(serving.port, FEED, If_None_Match=etag)
    assert again.status == 304 and again.body == b""
    assert again.headers["etag"] == etag
    assert get(serving.port, FEED, If_None_Match=f'"other", W/{etag}').status == 304
    assert get(serving.port, FEED, If_Modified_Since=modified).status == 304
    assert get(serving.port, FEED, If_None_Match='"stale"').status == 200
    past = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert get(serving.port, FEED, If_Modified_Since=past).status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110)
    assert get(serving.port, FEED, If_None_Match='"x"', If_Modified_Since=modified).status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/calendar.ics",
        f"/{TOKEN}",
        f"/{TOKEN}/",
        f"/{TOKEN}/../calendar.ics",
        f"/{TOKEN}/../../tcrm.yaml",
        f"/{TOKEN}/%2e%2e/tcrm.yaml",
        f"/{TOKEN}/%2E%2E%2Ftcrm.yaml",
        f"/{TOKEN}/..%2fcalendar.ics",
        f"/{TOKEN}/%63alendar.ics",
        f"/{TOKEN}/calendar.ics/",
        f"/{TOKEN}/calendar.ics%00",
        f"/{TOKEN}/tcrm.yaml",
        f"/{TOKEN}/tasks/tee6mj3g.yaml",
        f"/{TOKEN}/tasks.ics",
        f"/{TOKEN}/nobody.ics",
        f"/{TOKEN}/.ics",
        f"/{TOKEN}/a..b.ics",
        f"//{TOKEN}/calendar.ics",
        f"/{TOKEN}//calendar.ics",
        f"/./{TOKEN}/calendar.ics",
        f"/{TOKEN}/./calendar.ics",
        "/etc/passwd",
        "/../../../../etc/passwd",
        f"http://127.0.0.1/{TOKEN}/x.ics",
        "/wrong-token-0000000/calendar.ics",
        f"/{TOKEN[:-1]}/calendar.ics",
        f"/{TOKEN}x/calendar.ics",
        f"/{TOKEN.upper()}/calendar.ics",
        f"/{TOKEN}/calendar.ics/../../tcrm.yaml",
        f"/{TOKEN}%2fcalendar.ics",
    ],
)
def test_every_other_path_is_404(serving, path) -> None:
    assert raw(serving.port, f"GET {path} HTTP/1.1") == 404


def test_absolute_uri_and_other_methods_serve_nothing(serving) -> None:
    assert raw(serving.port, f"GET http://127.0.0.1:{serving.port}{FEED} HTTP/1.1") == 404
    assert raw(serving.port, f"POST {FEED} HTTP/1.1") == 501
    assert raw(serving.port, f"DELETE {FEED} HTTP/1.1") == 501
    assert raw(serving.port, f"GET {FEED} HTTP/1.1") == 200
    assert raw(serving.port, f"GET {FEED}?refresh=1 HTTP/1.1") == 200  # apps add cache-busters


def test_route_matches_raw_text_only() -> None:
    assert route(FEED, TOKEN) == "calendar"
    assert route(f"/{TOKEN}/ben.ics?x=1", TOKEN) == "ben"
    assert route("/calendar.ics", None) == "calendar"
    assert route(FEED, None) is None  # a token given to a server without one
    assert route("/calendar.ics", TOKEN) is None


def test_per_member_feed(serving, sample_ws) -> None:
    answer = get(serving.port, f"/{TOKEN}/ben.ics")
    assert answer.status == 200
    cal = icalendar.Calendar.from_ical(answer.body)
    assert str(cal["X-WR-CALNAME"]) == "Northwind Studio (Ben Okafor)"
    exported = run("ics", "export", "--assignee", "ben")
    assert answer.body == exported.out.encode("utf-8")
    everything = icalendar.Calendar.from_ical(get(serving.port, FEED).body)
    assert 0 < len(cal.walk("VEVENT")) < len(everything.walk("VEVENT"))
    assert get(serving.port, f"/{TOKEN}/ann.ics").body != answer.body


def test_an_edit_is_served_at_once_and_unchanged_feeds_are_not_rendered_again(serving) -> None:
    first = get(serving.port, FEED)
    cached = serving.cache.get(None)
    assert serving.cache.get(None) is cached  # nothing changed: no re-render
    result = run("task", "add", "Call Zoë about the feed", "--due", "2026-11-30 11:00")
    assert result.code == 0, result.err
    task_id = result.out.strip()
    second = get(serving.port, FEED, If_None_Match=first.headers["etag"])
    assert second.status == 200
    assert second.headers["etag"] != first.headers["etag"]
    assert f"UID:task-{task_id}@northwind-studio.tcrm".encode() in second.body
    assert "Call Zoë about the feed".encode() in second.body
    assert get(serving.port, FEED, If_None_Match=second.headers["etag"]).status == 304
    stamps = [parsedate_to_datetime(r.headers["last-modified"]) for r in (first, second)]
    assert stamps[1] > stamps[0]
    assert get(serving.port, FEED, If_Modified_Since=first.headers["last-modified"]).status == 200

    done = run("task", "done", task_id)
    assert done.code == 0, done.err
    third = get(serving.port, FEED)
    assert f"task-{task_id}@".encode() not in third.body


def test_a_broken_settings_file_keeps_the_last_good_feed(serving, sample_ws) -> None:
    good = get(serving.port, FEED)
    settings = sample_ws / "tcrm.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("timezone: Europe/Berlin", "timezone: Mars/Olympus"))
    os.utime(settings, (2_000_000_000, 2_000_000_000))
    still = get(serving.port, FEED)
    assert still.status == 200 and still.body == good.body


def test_concurrent_clients_get_the_same_feed(serving) -> None:
    # as many at once as one address may open (all come from 127.0.0.1)
    n = MAX_PER_CLIENT
    with ThreadPoolExecutor(max_workers=n) as pool:
        answers = list(pool.map(lambda _: get(serving.port, FEED), range(n), timeout=60))
    assert [a.status for a in answers] == [200] * n
    assert len({a.body for a in answers}) == 1
    assert len({a.headers["etag"] for a in answers}) == 1


def test_without_a_token_the_feed_is_at_the_root(sample_ws) -> None:
    for server in serve_in_thread(sample_ws, None):
        assert get(server.port, "/calendar.ics").status == 200
        assert get(server.port, "/chloe.ics").status == 200
        assert get(server.port, FEED).status == 404


def test_todo_option_serves_vtodos(sample_ws) -> None:
    for server in serve_in_thread(sample_ws, TOKEN, todo=True, deals=False):
        cal = icalendar.Calendar.from_ical(get(server.port, FEED).body)
        assert cal.walk("VTODO") and not cal.walk("VEVENT")


# --- the command ----------------------------------------------------------------------


def test_refuses_a_non_loopback_address_without_a_token(sample_ws) -> None:
    for host in ("0.0.0.0", "::", "192.0.2.10", "example.org"):
        result = run("ics", "serve", "--host", host, "--port", "0")
        assert result.code == 2, result
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"tcrm: error: --host {host} ")
        assert "--token" in lines[0]


def test_refuses_a_weak_token_and_a_busy_port(sample_ws) -> None:
    result = run("ics", "serve", "--token", "short")
    assert result.code == 2 and result.err.startswith("tcrm: error: --token")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run("ics", "serve", "--port", str(port))
    assert result.code == 1
    assert result.err.strip().startswith(f"tcrm: error: cannot listen on 127.0.0.1:{port}")
    assert len(result.err.strip().splitlines()) == 1


def test_serve_process_answers_and_stops_cleanly_on_ctrl_c(sample_ws) -> None:
    with ServeProcess(env={"TCRM_ICS_TOKEN": TOKEN}) as server:
        first = server.wait_for("Serving ")
        match = re.search(r"http://127\.0\.0\.1:(\d+)/(\S+)/calendar\.ics", first)
        assert match, first
        assert match.group(2) == "<token>"  # never the token itself
        port = int(match.group(1))
        server.wait_for("Press Ctrl-C to stop.")
        answer = get(port, FEED)
        assert answer.status == 200 and answer.body.startswith(b"BEGIN:VCALENDAR\r\n")
        assert get(port, "/calendar.ics").status == 404
        server.wait_for('"GET /calendar.ics HTTP/1.1" 404')  # both requests logged
        code = server.stop()
    err = server.err
    assert code in (0, 130), err
    assert "Traceback" not in err + server.out
    assert err.endswith("Stopped.\n"), err
    assert TOKEN not in err  # the request log masks it too
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
