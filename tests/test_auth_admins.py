"""Administrators bound to a unit manage only their subtree (issue 12 item 4), on a real store:
every refusal of an account change with its exact message, and the accounts, batches and audit
entries such an administrator sees or may undo."""
from __future__ import annotations

import pytest

from kpi import store
from kpi.access import accounts, audit, roles
from kpi.access.roles import ADMIN, ANALYST, LEADER, Account, AuthError
from kpi.importing.commit import commit_upload
from kpi.importing.history import active_batches
from kpi.importing.parse import parse_upload

# G ─ A ─ A1 (branch), G ─ B ─ B1 (branch); A2 is a level-3 unit under A.
UNITS = ("单位编码,单位名称,上级单位编码,层级,组织类型,党员数,职工数\n"
         "G,集团,,1,党委,100,1000\n"
         "A,甲公司,G,2,党委,60,600\n"
         "A2,甲二公司,A,3,党委,20,200\n"
         "A1,甲一支部,A,4,党支部,30,300\n"
         "B,乙公司,G,2,党委,40,400\n"
         "B1,乙一支部,B,4,党支部,40,400\n").encode()
OUTSIDE_A = "（甲公司及其下级单位）"


@pytest.fixture
def con(tmp_path, rules):
    """A store with the tree above and: root (admin, no unit), boss_a (admin bound to A), ana (analyst
    on A1), peer (leader on A), bob (analyst on B), top (leader on G)."""
    s = store.open_store(tmp_path / "admins.duckdb")
    c = s.cursor()
    commit_upload(c, parse_upload(UNITS, "units.csv", "units", c, rules), "setup")
    for name, role, unit in (("root", ADMIN, None), ("boss_a", ADMIN, "A"), ("ana", ANALYST, "A1"),
                             ("peer", LEADER, "A"), ("bob", ANALYST, "B"), ("top", LEADER, "G")):
        accounts.create_account(c, rules, name, f"{name}-pass-1", role, unit, by=None)
    yield c
    s.close()


def _boss(con) -> Account:
    return accounts.get_account(con, "boss_a")


def _refused(call, refusal: type[AuthError]) -> str:
    """The message of the refusal `call` raises; it must be of class `refusal`."""
    with pytest.raises(refusal) as err:
        call()
    return err.value.message("zh")


def _accounts(con) -> list[tuple]:
    return con.execute("SELECT username, role, unit_code, disabled FROM accounts ORDER BY username").fetchall()


@pytest.mark.parametrize(("unit", "message"), [
    (None, "您只管理“甲公司”及其下级单位，不能创建或设置不绑定单位（整个集团）的账号。"),
    ("B", f"单位“B”不在您的管理范围{OUTSIDE_A}内，不能把账号绑定到该单位。"),
    ("B1", f"单位“B1”不在您的管理范围{OUTSIDE_A}内，不能把账号绑定到该单位。"),
    ("G", f"单位“G”不在您的管理范围{OUTSIDE_A}内，不能把账号绑定到该单位。"),
    # An unknown code gets the same answer as one outside: no oracle of which codes exist elsewhere.
    ("Z9", f"单位“Z9”不在您的管理范围{OUTSIDE_A}内，不能把账号绑定到该单位。"),
])
def test_bound_admin_cannot_create_an_account_wider_than_itself(con, rules, unit, message):
    before = _accounts(con)
    for role in (ADMIN, LEADER):
        refusal = roles.BindWholeStore if unit is None else roles.BindOutside
        assert _refused(lambda r=role: accounts.create_account(
            con, rules, "wide", "wide-pass-1", r, unit, by=_boss(con)), refusal) == message
    assert _accounts(con) == before


def test_bound_admin_creates_accounts_inside_its_subtree(con, rules):
    made = [accounts.create_account(con, rules, name, "new-pass-1", role, unit, by=_boss(con))
            for name, role, unit in (("a_admin", ADMIN, "A"), ("a1_leader", LEADER, "A1"), ("a2_ana", ANALYST, "A2"))]
    assert [(a.username, a.role, a.unit_code) for a in made] == [
        ("a_admin", ADMIN, "A"), ("a1_leader", LEADER, "A1"), ("a2_ana", ANALYST, "A2")]
    # The administrator bound to no unit keeps managing everything, the whole store included.
    root = accounts.get_account(con, "root")
    assert accounts.create_account(con, rules, "hq", "hq-pass-1", ADMIN, None, by=root).unit_code is None
    assert accounts.create_account(con, rules, "b_ana", "b-pass-1", ANALYST, "B1", by=root).unit_code == "B1"


def test_only_administrators_manage_accounts(con, rules):
    for name in ("ana", "peer", "top"):
        actor = accounts.get_account(con, name)
        assert _refused(lambda a=actor: accounts.create_account(
            con, rules, "x_new", "x-pass-1", LEADER, "A1", by=a), roles.Forbidden) == "您的角色无权进行此操作。"
        assert _refused(lambda a=actor: accounts.update_account(
            con, rules, "ana", by=a, role=ADMIN, unit_code="A1", display_name="", email=None,
            disabled=False), roles.Forbidden) == "您的角色无权进行此操作。"
        assert _refused(lambda a=actor: accounts.delete_account(con, "peer", by=a),
                        roles.Forbidden) == "您的角色无权进行此操作。"
    assert accounts.get_account(con, "ana").role == ANALYST


@pytest.mark.parametrize(("target", "unit"), [("bob", "B"), ("root", None), ("top", "G")])
def test_bound_admin_cannot_change_or_delete_accounts_outside_its_subtree(con, rules, target, unit):
    before = _accounts(con)
    message = f"账号“{target}”不在您的管理范围{OUTSIDE_A}内，不能修改或删除。"
    for disabled in (False, True):
        assert _refused(lambda d=disabled: accounts.update_account(
            con, rules, target, by=_boss(con), role=LEADER, unit_code=unit, display_name="改名", email=None,
            disabled=d), roles.AccountOutside) == message
    # Not even by moving it into the subtree, nor by resetting its password.
    assert _refused(lambda: accounts.update_account(
        con, rules, target, by=_boss(con), role=LEADER, unit_code="A1", display_name="", email=None,
        disabled=False, new_password="taken-over-1"), roles.AccountOutside) == message
    assert _refused(lambda: accounts.delete_account(con, target, by=_boss(con)), roles.AccountOutside) == message
    assert _accounts(con) == before


@pytest.mark.parametrize(("unit", "message"), [
    (None, "您只管理“甲公司”及其下级单位，不能创建或设置不绑定单位（整个集团）的账号。"),
    ("B1", f"单位“B1”不在您的管理范围{OUTSIDE_A}内，不能把账号绑定到该单位。"),
    ("G", f"单位“G”不在您的管理范围{OUTSIDE_A}内，不能把账号绑定到该单位。"),
])
@pytest.mark.parametrize("target", ["ana", "peer", "boss_a"])
def test_bound_admin_cannot_move_an_account_or_itself_out_or_unbind_it(con, rules, target, unit, message):
    before = _accounts(con)
    current = accounts.get_account(con, target)
    assert _refused(lambda: accounts.update_account(
        con, rules, target, by=_boss(con), role=current.role, unit_code=unit, display_name="", email=None,
        disabled=False), roles.BindWholeStore if unit is None else roles.BindOutside) == message
    assert _accounts(con) == before


def test_bound_admin_changes_disables_and_deletes_accounts_inside(con, rules):
    changed = accounts.update_account(con, rules, "ana", by=_boss(con), role=LEADER, unit_code="A2",
                                           display_name="安娜", email=None, disabled=True)
    assert changed == ["role", "unit_code", "display_name", "disabled"]
    accounts.delete_account(con, "peer", by=_boss(con))
    assert [r[0] for r in _accounts(con)] == ["ana", "bob", "boss_a", "root", "top"]
    assert accounts.get_account(con, "ana").disabled


def test_chosen_unit_has_no_default(con):
    assert _refused(lambda: roles.chosen_unit(""), roles.UnitNotChosen) == "请选择绑定单位（数据范围）：没有默认值。"
    assert _refused(lambda: roles.chosen_unit(None), roles.UnitNotChosen) == "请选择绑定单位（数据范围）：没有默认值。"
    assert roles.chosen_unit(roles.WHOLE_STORE) is None
    assert roles.chosen_unit("A2") == "A2"
    # Offered units: the whole store only to the unbound administrator; a bound one gets its subtree.
    assert roles.account_unit_options(con, accounts.get_account(con, "root")) == ["*", "A", "A2", "B", "G"]
    assert roles.account_unit_options(con, _boss(con)) == ["A", "A2"]


def test_bound_admin_sees_only_the_accounts_of_its_subtree(con):
    table = accounts.account_table(con)
    assert roles.managed_usernames(con, _boss(con)) == ["ana", "boss_a", "peer"]
    assert list(roles.visible_accounts(con, _boss(con), table).username) == ["ana", "boss_a", "peer"]
    root = accounts.get_account(con, "root")
    assert roles.managed_usernames(con, root) is None
    assert list(roles.visible_accounts(con, root, table).username) == ["ana", "bob", "boss_a", "peer", "root", "top"]


def _meetings(con, rules, unit: str, day: int, user: str) -> int:
    text = f"单位编码,会议类型,日期,应到人数,实到人数\n{unit},主题党日,2025-03-{day:02d},30,28\n"
    return commit_upload(con, parse_upload(text.encode(), f"m{day}.csv", "meetings", con, rules), user).batch_id


def test_bound_admin_sees_only_batches_made_by_accounts_of_its_subtree(con, rules):
    made = {who: _meetings(con, rules, unit, day, who)
            for day, (who, unit) in enumerate((("ana", "A1"), ("bob", "B1"), ("boss_a", "A2"), ("cli", "A1"),
                                               ("root", "A1")), start=1)}
    batches = active_batches(con)
    visible = roles.visible_batches(con, _boss(con), batches)
    assert sorted(visible.batch_id) == sorted([made["ana"], made["boss_a"]])
    everything = roles.visible_batches(con, accounts.get_account(con, "root"), batches)
    assert len(everything) == len(batches) == 6  # five meetings batches and the units batch of "setup"


@pytest.mark.parametrize("maker", ["bob", "cli", "root", "setup"])
def test_bound_admin_cannot_undo_a_batch_of_another_subtree_or_maker(con, rules, maker):
    batch = _meetings(con, rules, "A1", 9, maker) if maker != "setup" else 1
    assert _refused(lambda: roles.check_undo_allowed(con, _boss(con), batch), roles.BatchOutside) == \
        f"批次 #{batch} 不在您的管理范围{OUTSIDE_A}内，不能撤销。"
    roles.check_undo_allowed(con, accounts.get_account(con, "root"), batch)  # the unbound one may


def test_bound_admin_undoes_a_subtree_batch_only_when_all_its_rows_are_inside(con, rules):
    inside = _meetings(con, rules, "A1", 1, "ana")
    roles.check_undo_allowed(con, _boss(con), inside)
    # ana's batch wrote a row of B1 (made before the upload scope was checked, or before ana was
    # moved): its undo would delete B1's row, so the subtree's administrator may not undo it.
    wrote_outside = _meetings(con, rules, "B1", 2, "ana")
    assert _refused(lambda: roles.check_undo_allowed(con, _boss(con), wrote_outside), roles.BatchOutside) == \
        f"批次 #{wrote_outside} 不在您的管理范围{OUTSIDE_A}内，不能撤销。"
    # ana's problems batch took over B1's problem P1: its undo would restore B1's row.
    problem = ("问题编号,单位编码,问题来源,发现日期,问题描述,整改状态,整改时限\n"
               "P1,{},巡察,2025-03-01,台账不全,整改中,2025-09-30\n")
    commit_upload(con, parse_upload(problem.format("B1").encode(), "p1.csv", "problems", con, rules), "bob")
    took_over = commit_upload(con, parse_upload(problem.format("A1").encode(), "p2.csv", "problems", con, rules),
                              "ana").batch_id
    assert con.execute("SELECT unit_code FROM problems WHERE problem_id = 'P1'").fetchone() == ("A1",)
    assert _refused(lambda: roles.check_undo_allowed(con, _boss(con), took_over), roles.BatchOutside) == \
        f"批次 #{took_over} 不在您的管理范围{OUTSIDE_A}内，不能撤销。"


def test_bound_admin_reads_only_the_audit_entries_of_its_subtree(con):
    for who, action in (("ana", "upload"), ("bob", "upload"), ("root", "account_created"), ("boss_a", "sign_in"),
                        ("peer", "export"), ("top", "export"), ("nobody", "sign_in_failed"), ("ana", "sign_in_failed"),
                        (None, "rules_changed")):
        audit.record(con, who, action, "t")
    boss = _boss(con)
    assert roles.visible_audit_entries(con, boss).username.tolist() == ["ana", "peer", "boss_a", "ana"]
    assert roles.visible_audit_entries(con, boss, "ana", ("upload",)).username.tolist() == ["ana"]
    assert roles.visible_audit_entries(con, boss, "bob").empty  # asking for a name outside gives nothing
    assert roles.visible_log_users(con, boss) == ["ana", "boss_a", "peer"]
    root = accounts.get_account(con, "root")
    assert len(roles.visible_audit_entries(con, root)) == 9
    assert roles.visible_log_users(con, root) == ["ana", "bob", "boss_a", "nobody", "peer", "root", "top"]
