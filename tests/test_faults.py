"""Transport faults against a scripted OpenAI-compatible server (:mod:`tests.fault_server`).

Retries follow the policy and stop at the cap; re-asks happen only for validation failures; no API error text
ever enters a prompt; a report that still fails lands in errors.jsonl with its reason while the others complete.
Waits are recorded through ``sleep=`` rather than slept, so the whole file runs in a few seconds.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractor.bulk import run
from extractor.cli import main
from extractor.config import resolve
from extractor.engine import Engine
from extractor.errors import (
    ConnectionFailed,
    EndpointTimeout,
    ModelOutputError,
    RateLimited,
    RequestRejected,
    ServerError,
    TransportError,
)
from extractor.fields import LIST_SECTIONS, SECTION_CODES, build_schema
from extractor.llm import AskResult, Endpoint, ModelClient
from extractor.models import SectionKind
from extractor.prompts import load_prompt
from extractor.retry import RetryPolicy

from .fault_server import (
    ERROR_TEXT,
    HTML_TEXT,
    Action,
    FaultServer,
    drop,
    grounded_answer,
    html_error,
    length_cut,
    not_json,
    ok,
    slow,
    status,
    synthetic_report,
    trickle,
)

SECTION = "2016年，全年主动公开政府信息624条，其中通过政府网站公开507条。"
GOOD = json.dumps({"proactive_total": "全年主动公开政府信息624条"}, ensure_ascii=False)
UNGROUNDED = json.dumps({"proactive_total": "全年主动公开政府信息999条"}, ensure_ascii=False)
KEY = "sk-test-fault-0000"
TIMEOUT = 0.3  # seconds: the slow answer below takes longer


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as s:
        yield s


def _client(server: FaultServer, waits: list[float], *, retries: int = 3, reasks: int = 1) -> ModelClient:
    settings = resolve(
        provider="openai", base_url=server.base_url, model="m", api_key=KEY, max_retries=retries,
        max_reasks=reasks, timeout=TIMEOUT, cache=False,
    )  # fmt: skip
    return ModelClient(Endpoint("openai", server.base_url, KEY, "m", "m"), settings, sleep=waits.append)


def _ask(client: ModelClient, text: str = SECTION) -> AskResult:
    return client.ask(load_prompt("v1"), "proactive", text, ["proactive.total"])


# Every transport fault, what it becomes, and whether the server's Retry-After sets the wait.
TRANSIENT: list[tuple[str, Action, type[TransportError]]] = [
    ("429-retry-after-1", status(429, retry_after=1), RateLimited),
    ("429-no-header", status(429), RateLimited),
    ("500", status(500), ServerError),
    ("503", status(503), ServerError),
    ("slower-than-timeout", slow(2.0), EndpointTimeout),
    ("dropped-connection", drop(), ConnectionFailed),
    ("body-not-json", not_json(), ServerError),
    ("html-error-page-502", html_error(502), ServerError),
    ("html-page-with-200", html_error(200), ServerError),
]
IDS = [t[0] for t in TRANSIENT]


def _assert_waits_follow_policy(waits: list[float], action: Action, policy: RetryPolicy) -> None:
    for n, seconds in enumerate(waits, start=1):
        if action.retry_after is not None:
            assert seconds == action.retry_after  # the server's Retry-After, honoured exactly
        else:
            base = min(policy.base_delay * 2 ** (n - 1), policy.max_delay)
            assert base * (1 - policy.jitter) <= seconds <= base * (1 + policy.jitter)


@pytest.mark.parametrize(("name", "fault", "error"), TRANSIENT, ids=IDS)
def test_transient_fault_is_retried_then_succeeds(
    name: str, fault: Action, error: type[TransportError], server: FaultServer
) -> None:
    waits: list[float] = []
    client = _client(server, waits)
    server.script(fault, fault, ok(GOOD))
    result = _ask(client)
    assert result.answer is not None and result.answer.proactive_total == "全年主动公开政府信息624条"
    assert result.verified and result.usage.reasks == 0
    assert len(server.requests) == 3 and len(waits) == 2
    _assert_waits_follow_policy(waits, fault, client.policy)
    # a transport retry resends the very same request: nothing of the failure is added to it
    assert server.requests[0].body == server.requests[1].body == server.requests[2].body


@pytest.mark.parametrize(("name", "fault", "error"), TRANSIENT, ids=IDS)
def test_retries_stop_at_the_cap(name: str, fault: Action, error: type[TransportError], server: FaultServer) -> None:
    waits: list[float] = []
    client = _client(server, waits, retries=2)
    server.script(*[fault] * 6)
    with pytest.raises(error) as info:
        _ask(client)
    assert len(server.requests) == 3  # the first try and max_retries=2 retries, no more
    assert len(waits) == 2
    _assert_waits_follow_policy(waits, fault, client.policy)
    assert ERROR_TEXT not in str(info.value) and "nginx" not in str(info.value)  # our message, not the server's


def test_retry_after_beyond_the_cap_is_capped(server: FaultServer) -> None:
    waits: list[float] = []
    client = _client(server, waits)
    server.script(status(429, retry_after=600), ok(GOOD))
    assert _ask(client).verified
    assert waits == [client.policy.max_delay]


@pytest.mark.parametrize(("code", "hint"), [(400, "see its docs"), (401, "check the API key"), (404, "--base-url")])
def test_client_errors_are_not_retried(code: int, hint: str, server: FaultServer) -> None:
    waits: list[float] = []
    server.script(status(code), ok(GOOD))
    with pytest.raises(RequestRejected, match=hint):
        _ask(_client(server, waits))
    assert len(server.requests) == 1 and waits == []


def test_output_cut_at_the_token_limit_is_neither_retried_nor_reasked(server: FaultServer) -> None:
    waits: list[float] = []
    server.script(length_cut('{"proactive_total": "全年主动公开'), ok(GOOD))
    with pytest.raises(ModelOutputError, match="cut off at the token limit") as info:
        _ask(_client(server, waits))
    assert len(server.requests) == 1 and waits == []
    assert info.value.section == "proactive" and "全年主动公开" in (info.value.last_output or "")


def test_a_validation_failure_is_reasked_with_the_validation_message(server: FaultServer) -> None:
    waits: list[float] = []
    server.script(ok(UNGROUNDED), ok(GOOD))
    result = _ask(_client(server, waits))
    assert result.verified and result.usage.reasks == 1 and result.usage.model_calls == 2
    first, reask = server.requests
    assert reask.messages[: len(first.messages)] == first.messages
    assert reask.messages[len(first.messages)] == {"role": "assistant", "content": UNGROUNDED}
    assert "不在文本中" in reask.messages[-1]["content"]  # the grounding check's own words
    assert waits == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (UNGROUNDED, "- proactive_total: 原文片段“全年主动公开政府信息999条”不在文本中，请从文本逐字复制，或填 null"),
        (json.dumps({"proactive_total": 624}), "- proactive_total: 应为原文片段（字符串）或 null"),
        (json.dumps({"proactive_total": None, "invented_field": "1"}), "- invented_field: 不是要求的字段，请删去"),
        ("好的，以下是结果：624条", "- 回答不是合法的 JSON"),
    ],
    ids=["ungrounded", "wrong-type", "unknown-field", "not-json"],
)
def test_the_reask_text_is_the_projects_own(answer: str, expected: str, server: FaultServer) -> None:
    """What the model is told after a failed answer is written by this project from (field, reason): no library
    wording, documentation URL or version, so the request bodies (and cassettes) do not change with pydantic."""
    server.script(ok(answer), ok(GOOD))
    _ask(_client(server, []))
    text = server.requests[1].messages[-1]["content"]
    assert text.splitlines() == ["上一次的回答有以下问题，请改正后只输出 JSON 对象：", expected]
    assert not re.search(r"pydantic|https?://|\d+\.\d+/v/", text)


@pytest.mark.parametrize(
    "answer",
    [
        json.dumps({"proactive_total": 624}),  # a number where the schema wants the quote
        json.dumps({"proactive_total": "全年主动公开政府信息624条", "invented_field": "1"}),  # extra="forbid"
        "好的，以下是结果：624条",  # prose, not JSON
    ],
    ids=["wrong-type", "unknown-field", "not-json-content"],
)
def test_schema_failures_are_reasked_up_to_max_reasks_then_fail(answer: str, server: FaultServer) -> None:
    waits: list[float] = []
    server.script(*[ok(answer)] * 5)
    with pytest.raises(ModelOutputError, match="stayed invalid after 3 attempt") as info:
        _ask(_client(server, waits, reasks=2))
    assert len(server.requests) == 3 and waits == []  # one ask and two re-asks, no transport retry
    assert info.value.attempts == 3 and info.value.last_output == answer


def test_an_ungrounded_answer_comes_back_unverified_when_reasks_run_out(server: FaultServer) -> None:
    server.script(ok(UNGROUNDED), ok(UNGROUNDED))
    result = _ask(_client(server, [], reasks=1))
    assert result.answer is not None and result.answer.proactive_total == "全年主动公开政府信息999条"
    assert result.verified is False and len(server.requests) == 2


def test_no_reask_without_max_reasks(server: FaultServer) -> None:
    server.script(ok(UNGROUNDED), ok(GOOD))
    assert _ask(_client(server, [], reasks=0)).verified is False
    assert len(server.requests) == 1


@pytest.mark.parametrize("kind", sorted(SECTION_CODES))
def test_an_empty_answer_is_valid_for_every_section_schema(kind: SectionKind) -> None:
    """``{}`` (nothing found) is a valid answer anywhere, so it is never re-asked; the fixed-delay stub relies on it."""
    schema = build_schema(kind, list(SECTION_CODES[kind]), lists=kind in LIST_SECTIONS)
    schema.model_validate_json("{}", context={"text": SECTION})


def test_a_grounded_list_answer_is_not_reasked(server: FaultServer) -> None:
    text = "六、存在的主要问题及改进措施\n一是公开内容不够全面。二是将进一步加强培训。"
    answer = {"problems": ["公开内容不够全面"], "improvements": ["将进一步加强培训"]}
    server.script(ok(json.dumps(answer, ensure_ascii=False)), ok("{}"))
    result = _client(server, []).ask(load_prompt("v1"), "problems", text, [], lists=True)
    assert result.verified and len(server.requests) == 1
    assert result.answer is not None and result.answer.problems == ["公开内容不够全面"]  # type: ignore[attr-defined]


def test_no_api_error_text_ever_enters_a_prompt(server: FaultServer) -> None:
    """Every kind of failure, then a validation failure, then more failures before the re-ask succeeds."""
    waits: list[float] = []
    client = _client(server, waits, retries=5)
    server.script(
        status(429, retry_after=0), html_error(502), not_json(), status(503), slow(2.0), ok(UNGROUNDED),
        drop(), status(500), html_error(200), ok(GOOD),
    )  # fmt: skip
    result = _ask(client)
    assert result.verified and result.usage.reasks == 1
    assert len(server.requests) == 10
    bodies = [json.dumps(r.body, sort_keys=True, ensure_ascii=False) for r in server.requests]
    assert len(set(bodies[:6])) == 1 and len(set(bodies[6:])) == 1  # retries resend; the re-ask is one new body
    for request in server.requests:
        prompt = request.prompt
        for leaked in (ERROR_TEXT, HTML_TEXT, "Bad Gateway", "nginx", "rate limited", "HTTP", "Retry-After", "timed"):
            assert leaked not in prompt
    assert "不在文本中" in server.requests[-1].messages[-1]["content"]


# ---------------------------------------------------------------------------------------------------------------
# A bulk run: a report that still fails is isolated, with its reason


def _write_reports(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(1, count + 1):
        path = folder / f"bureau_{i:02d}.txt"
        path.write_text(synthetic_report(i), encoding="utf-8")
        paths.append(path)
    return paths


def _errors(out: Path) -> dict[str, dict[str, str]]:
    return {e["report"]: e for e in map(json.loads, (out / "errors.jsonl").read_text("utf-8").splitlines())}


def test_a_failing_report_lands_in_errors_while_the_others_complete(tmp_path: Path) -> None:
    inputs = _write_reports(tmp_path / "in", 5)
    out = tmp_path / "out"
    waits: list[float] = []
    with FaultServer(answer=grounded_answer) as server:
        server.rule("政府信息602条", *[status(503)] * 10)  # report 2: the endpoint keeps failing
        server.rule("政府信息603条", length_cut())  # report 3: one section's answer is cut at the token limit
        server.rule("政府信息604条", status(429, retry_after=1), not_json())  # report 4: recovers
        server.rule("政府信息605条", status(401))  # report 5: the key is refused
        client = _client(server, waits, retries=2)
        engine = Engine("openai", client, load_prompt("v1"), "m")
        stats = run(inputs, out, engine, concurrency=3)
        prompts = server.prompts()
    assert (stats.reports, stats.failed) == (3, 2)
    asked, planned, in_flight = engine.progress()  # the progress bar's section counts: all asked, failed ones too
    assert planned >= 5 and asked == planned and in_flight == 0
    records = {r["report"]: r for r in map(json.loads, (out / "records.jsonl").read_text("utf-8").splitlines())}
    assert sorted(records) == ["bureau_01", "bureau_03", "bureau_04"]
    errors = _errors(out)
    assert set(errors) == {"bureau_02", "bureau_05"}
    assert errors["bureau_02"]["error"] == "ServerError" and "HTTP 503" in errors["bureau_02"]["message"]
    assert errors["bureau_05"]["error"] == "RequestRejected" and "check the API key" in errors["bureau_05"]["message"]
    assert all(e["path"] == str(tmp_path / "in" / f"{name}.txt") for name, e in errors.items())
    # a section the model could not answer is a finding of its report, which keeps everything else
    cut = [f for f in records["bureau_03"]["findings"] if f["check"] == "model.section_failed"]
    assert len(cut) == 1 and "token limit" in cut[0]["message"]
    rows = list(csv.DictReader((out / "indicators.csv").open(encoding="utf-8")))
    totals = {r["report"]: r["value"] for r in rows if r["code"] == "proactive.total"}
    assert totals == {"bureau_01": "601", "bureau_04": "604"}
    assert {r["report"] for r in rows if r["code"] == "requests.received"} == set(records)
    assert not any(ERROR_TEXT in p for p in prompts)
    assert 1.0 in waits  # report 4's Retry-After


def test_cli_run_with_faults_exits_zero_and_reports_the_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = _write_reports(tmp_path / "in", 3)
    out = tmp_path / "out"
    monkeypatch.setenv("EXTRACTOR_MAX_RETRIES", "1")
    with FaultServer(answer=grounded_answer) as server:
        server.rule("政府信息601条", status(429, retry_after=0))  # retried at once, then answered
        server.rule("政府信息602条", *[status(429, retry_after=0)] * 5)  # still rate limited after the retry
        server.rule("政府信息603条", length_cut())
        argv = ["extract", str(inputs[0].parent), "-o", str(out), "--provider", "openai", "-q", "--json",
                "--base-url", server.base_url, "--model", "m", "--api-key", KEY]  # fmt: skip
        main(argv)  # no SystemExit: some reports succeeded
    stdout, stderr = capsys.readouterr()
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert (summary["reports"], summary["failed"]) == (2, 1)
    errors = _errors(out)
    assert list(errors) == ["bureau_02"] and errors["bureau_02"]["error"] == "RateLimited"
    findings = list(csv.DictReader((out / "findings.csv").open(encoding="utf-8")))
    assert [(f["report"], f["check"]) for f in findings if "token limit" in f["message"]] == [
        ("bureau_03", "model.section_failed")
    ]
    assert "Traceback" not in stderr and KEY not in stdout + stderr


def test_cli_exits_non_zero_when_the_only_report_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = _write_reports(tmp_path / "in", 1)
    monkeypatch.setenv("EXTRACTOR_MAX_RETRIES", "0")
    with FaultServer() as server:
        server.script(status(401))
        argv = ["extract", str(inputs[0]), "-o", str(tmp_path / "out"), "--provider", "openai", "-q",
                "--base-url", server.base_url, "--model", "m", "--api-key", KEY]  # fmt: skip
        with pytest.raises(SystemExit) as info:
            main(argv)
    assert info.value.code == 1  # a runtime failure of the endpoint, not a bad input
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "HTTP 401; check the API key" in lines[0]


def test_calls_in_flight_are_bounded_across_threads() -> None:
    """Reports and their sections run on many threads; the client still sends at most max_in_flight at once."""
    import threading
    import time

    from extractor.config import resolve
    from extractor.llm import Endpoint, ModelClient
    from extractor.prompts import load_prompt

    active, peak, lock = 0, 0, threading.Lock()
    counted: list[int] = []  # what the client said was in flight while the server held a call

    def slow_ok(body: object) -> str:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        counted.append(client.calls_in_flight)
        time.sleep(0.05)
        with lock:
            active -= 1
        return "{}"

    with FaultServer(answer=slow_ok) as server:
        settings = resolve(provider="openai", base_url=server.base_url, model="m", api_key="k", cache=False)
        client = ModelClient(Endpoint("openai", server.base_url, "k", "m", "m"), settings, max_in_flight=3)
        prompt = load_prompt("v1")
        threads = [
            threading.Thread(target=client.ask, args=(prompt, "fees", f"未收取费用{i}", ["fees.amount"]))
            for i in range(12)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert peak == 3
    assert counted and all(1 <= n <= 3 for n in counted) and max(counted) == 3  # the progress bar's figure
    assert client.calls_in_flight == 0


def test_a_trickling_answer_is_cut_at_the_timeout(server: FaultServer) -> None:
    """One byte every 0.05 s: every read is far within the timeout, the whole answer (~10 s) is not; the call ends
    near --timeout, as a timeout (retried like one)."""
    server.script(trickle(0.05, GOOD))
    started = time.monotonic()
    with pytest.raises(EndpointTimeout):
        _ask(_client(server, [], retries=0))
    assert time.monotonic() - started < TIMEOUT + 3
