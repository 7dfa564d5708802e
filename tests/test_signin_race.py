"""Sign-in that cannot be raced (issue 12 item 2), on a real DuckDB store: 30 threads at once (a cursor
each, one connection), the lock counting attempts in flight, a success that forgives nothing of its
own burst, the per-client and global rate limits, and the migration of the old failure table."""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import duckdb
import pytest

from kpi import store
from kpi.access import accounts
from kpi.access.roles import ANALYST, LEADER
from kpi.store.migrations import MIGRATIONS
from kpi.store.writer_claim import next_id

NOW = dt.datetime(2025, 7, 1, 9, 0, 0)
BURST = 30
LOCKED_15 = "登录失败次数过多，账号“wang”已锁定，请 15 分钟后再试。"


def attempt_elsewhere(con, client: str, at: dt.datetime, outcome: str) -> int:
    """An attempt of 'wang' written as another server would (its id from `next_id`: a lake has no
    sequence); returns its id."""
    attempt = next_id(con, "login_attempt_ids")
    con.execute("INSERT INTO login_attempts (attempt_id, username, client, started_at, outcome) "
                "VALUES (?, 'wang', ?, ?, ?)", [attempt, client, at, outcome])
    return attempt


@pytest.fixture
def opened(store_spec, rules):
    s = store.open_store(store_spec)
    con = s.cursor()
    con.execute("INSERT INTO units (unit_code, unit_name, level) VALUES ('G', '集团', 1)")
    accounts.create_account(con, rules, "wang", "right-pass", ANALYST, "G", by=None)
    yield s
    s.close()


def _burst(opened, rules, attempts: list[tuple[str, str, str]]) -> list[str]:
    """Run every (user name, password, client) attempt in its own thread, all released at once, each
    with its own cursor; the answers in the order given: 'success' or the refusal's zh message."""
    answers: list[str | None] = [None] * len(attempts)
    start = threading.Barrier(len(attempts))

    def attempt(i: int, username: str, password: str, client: str) -> None:
        con = opened.cursor()
        start.wait()
        try:
            accounts.authenticate(con, rules, username, password, NOW, client=client)
            answers[i] = "success"
        except accounts.SignInRefused as exc:
            answers[i] = exc.message("zh")

    threads = [threading.Thread(target=attempt, args=(i, *a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _outcomes(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT outcome FROM login_attempts ORDER BY attempt_id").fetchall()]


def test_thirty_wrong_passwords_at_once_verify_only_five_and_lock_the_right_one_out(opened, rules):
    assert rules.max_failed_logins == 5
    answers = _burst(opened, rules, [("wang", f"guess-{i}", f"10.0.0.{i}") for i in range(BURST)])
    # Serialised: exactly five passwords verified, the fifth failure locks, the other 25 are refused unverified.
    assert sorted(answers) == sorted(["用户名或密码错误。"] * 4 + [LOCKED_15] * 26)
    con = opened.cursor()
    assert _outcomes(con) == ["failure"] * 5 + ["locked"] * 25
    with pytest.raises(accounts.SignInLocked) as err:
        accounts.authenticate(con, rules, "wang", "right-pass", NOW + dt.timedelta(minutes=1), client="10.0.1.1")
    assert err.value.message("zh") == "登录失败次数过多，账号“wang”已锁定，请 14 分钟后再试。"


def test_a_burst_holding_the_right_password_still_locks_the_name(opened, rules):
    attempts = [("wang", f"guess-{i}", f"10.0.0.{i}") for i in range(BURST - 1)] + [("wang", "right-pass", "10.0.9.9")]
    answers = _burst(opened, rules, attempts)
    con = opened.cursor()
    outcomes = _outcomes(con)
    failures_before = outcomes.index("success") if "success" in outcomes else None
    if failures_before is None:  # the right one came after the fifth failure: refused unverified
        assert answers[-1] == LOCKED_15
        assert outcomes.count("failure") == 5
    else:  # it came early: it forgives only the failures finished before it; five more lock the name
        assert answers[-1] == "success"
        assert failures_before < rules.max_failed_logins
        assert outcomes == ["failure"] * failures_before + ["success"] + ["failure"] * 5 + ["locked"] * (
            BURST - failures_before - 6)
    # Whatever the order: no more than the lock allows was verified, and the name ends locked.
    assert outcomes.count("failure") <= 2 * rules.max_failed_logins - 1
    assert answers.count("用户名或密码错误。") == outcomes.count("failure") - 1
    assert accounts.locked_minutes(con, rules, "wang", NOW) == 15
    with pytest.raises(accounts.SignInLocked) as err:
        accounts.authenticate(con, rules, "wang", "right-pass", NOW, client="10.0.1.1")
    assert type(err.value) is accounts.SignInLocked


def test_a_success_does_not_reset_the_count(opened, rules):
    con = opened.cursor()
    for i in range(4):
        with pytest.raises(accounts.BadCredentials):
            accounts.authenticate(con, rules, "wang", "bad", NOW + dt.timedelta(seconds=i))
    assert accounts.authenticate(con, rules, "wang", "right-pass", NOW + dt.timedelta(seconds=5))
    # Failures finished before the success are forgiven, and kept; the next five lock again.
    messages = []
    for i in range(5):
        with pytest.raises(accounts.SignInRefused) as err:
            accounts.authenticate(con, rules, "wang", "bad", NOW + dt.timedelta(seconds=10 + i))
        messages.append(err.value.message("zh"))
    assert messages == ["用户名或密码错误。"] * 4 + [LOCKED_15]
    assert _outcomes(con) == ["failure"] * 4 + ["success"] + ["failure"] * 5


@pytest.mark.both_kinds
def test_attempts_in_flight_elsewhere_count_and_are_not_forgiven_by_a_success(opened, rules):
    con = opened.cursor()
    # Another process sharing the store has written two attempts and is still verifying them.
    elsewhere = [attempt_elsewhere(con, "10.0.5.5", NOW, "pending") for _ in range(2)]
    assert accounts.counted_failures(con, rules, "wang", NOW)[0] == 2
    assert accounts.authenticate(con, rules, "wang", "right-pass", NOW).username == "wang"
    con.execute("UPDATE login_attempts SET outcome = 'failure' WHERE list_contains(?, attempt_id)", [elsewhere])
    # They were running when the success began: same burst, still counted.
    assert accounts.counted_failures(con, rules, "wang", NOW) == (2, NOW)
    for _ in range(2):
        with pytest.raises(accounts.BadCredentials):
            accounts.authenticate(con, rules, "wang", "bad", NOW)
    with pytest.raises(accounts.SignInLocked) as err:
        accounts.authenticate(con, rules, "wang", "bad", NOW)
    assert err.value.message("zh") == LOCKED_15


def test_five_pending_attempts_elsewhere_lock_the_right_password_out(opened, rules):
    con = opened.cursor()
    for _ in range(rules.max_failed_logins):
        attempt_elsewhere(con, "10.0.5.5", NOW - dt.timedelta(minutes=3), "pending")
    with pytest.raises(accounts.SignInLocked) as err:
        accounts.authenticate(con, rules, "wang", "right-pass", NOW)
    assert err.value.message("zh") == "登录失败次数过多，账号“wang”已锁定，请 12 分钟后再试。"
    assert con.execute("SELECT last_login FROM accounts WHERE username = 'wang'").fetchone() == (None,)


def test_one_client_spraying_names_at_once_is_limited(opened, rules):
    assert (rules.sign_in_per_client, rules.sign_in_window_seconds) == (20, 60)
    answers = _burst(opened, rules, [(f"user{i}", "guess", "10.0.0.7") for i in range(BURST)])
    assert sorted(answers) == sorted(["用户名或密码错误。"] * 20 + ["此地址的登录尝试过于频繁，请 60 秒后再试。"] * 10)
    con = opened.cursor()
    assert con.execute("SELECT count(*), count(DISTINCT username) FROM login_attempts").fetchone() == (20, 20)
    # Another client is not held back; the first one is let in again once its window has passed.
    assert accounts.authenticate(con, rules, "wang", "right-pass", NOW, client="10.0.0.8").username == "wang"
    with pytest.raises(accounts.TooManyAttemptsClient) as err:
        accounts.authenticate(con, rules, "wang", "right-pass", NOW + dt.timedelta(seconds=45), client="10.0.0.7")
    assert err.value.message("en") == "Too many sign-in attempts from your address; try again in 15 seconds."
    later = NOW + dt.timedelta(seconds=61)
    assert accounts.authenticate(con, rules, "wang", "right-pass", later, client="10.0.0.7").username == "wang"


def test_all_clients_together_are_limited(opened, rules):
    tight = dataclasses.replace(rules, sign_in_global=25)
    answers = _burst(opened, tight, [(f"user{i}", "guess", f"10.0.0.{i}") for i in range(BURST)])
    assert sorted(answers) == sorted(["用户名或密码错误。"] * 25 + ["当前登录尝试过多，请 60 秒后再试。"] * 5)
    assert opened.cursor().execute("SELECT count(*) FROM login_attempts").fetchone() == (25,)


def test_no_client_is_one_client_unknown(opened, rules):
    con = opened.cursor()
    for _ in range(rules.sign_in_per_client):
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate(con, rules, "nobody", "guess", NOW)
    with pytest.raises(accounts.TooManyAttemptsClient) as err:
        accounts.authenticate(con, rules, "wang", "right-pass", NOW, client=None)
    assert type(err.value) is accounts.TooManyAttemptsClient
    assert con.execute("SELECT DISTINCT client FROM login_attempts").fetchall() == [("unknown",)]


def test_old_failures_are_kept_and_expired_attempts_pruned(opened, rules):
    con = opened.cursor()
    for minutes in (30, 20, 1):
        attempt_elsewhere(con, "unknown", NOW - dt.timedelta(minutes=minutes), "failure")
    accounts.authenticate(con, rules, "wang", "right-pass", NOW, client="10.0.0.1")
    # Older than every window (15 min lock, 60 s rate): gone; the recent failure and the success stay.
    assert con.execute("SELECT started_at, outcome FROM login_attempts ORDER BY attempt_id").fetchall() == [
        (NOW - dt.timedelta(minutes=1), "failure"), (NOW, "success")]


def test_v5_failures_become_failed_attempts_and_still_lock(tmp_path, rules):
    path = tmp_path / "v5.duckdb"
    raw = duckdb.connect(str(path))
    for version, sql in enumerate(MIGRATIONS[:5], start=1):
        raw.execute(sql)
        raw.execute("DELETE FROM meta WHERE key = 'schema_version'")
        raw.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
    raw.execute("INSERT INTO accounts (username, role, created_at) VALUES ('li', ?, ?)", [LEADER, NOW])
    for i in range(5):
        raw.execute("INSERT INTO login_failures VALUES ('li', ?)", [NOW - dt.timedelta(minutes=5 - i)])
    raw.close()
    s = store.open_store(path)
    con = s.cursor()
    assert con.execute("SELECT username, client, outcome, clears_before FROM login_attempts").fetchall() == [
        ("li", "unknown", "failure", None)] * 5
    assert accounts.locked_minutes(con, rules, "li", NOW) == 14  # 15 after the last, a minute ago
    s.close()
