"""The test suite hashes passwords at argon2's minimum cost (tests/conftest.py); production must not."""
import json
import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher, extract_parameters

from kpi.access import accounts

ROOT = Path(__file__).resolve().parent.parent

# Read in a fresh interpreter: the session fixture of conftest.py does not reach it.
_PRODUCTION_PARAMETERS = """
import json
from argon2 import PasswordHasher, extract_parameters
from kpi.access import accounts
p = extract_parameters(accounts.hash_password("a password"))
d = extract_parameters(accounts._DUMMY_HASH)
print(json.dumps([[p.type.name, p.time_cost, p.memory_cost, p.parallelism, p.hash_len, p.salt_len],
                  [d.time_cost, d.memory_cost, d.parallelism]]))
"""


def test_production_hashes_with_argon2id_at_the_strong_default_cost():
    out = subprocess.run([sys.executable, "-c", _PRODUCTION_PARAMETERS], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60).stdout
    password, dummy = json.loads(out)
    assert password == ["ID", 3, 65536, 4, 32, 16]
    # The dummy hash checked for unknown user names costs the same, so a wrong name is not faster.
    assert dummy == [3, 65536, 4]


def test_the_suite_hashes_at_minimum_cost_and_still_verifies_strong_hashes():
    fast = extract_parameters(accounts.hash_password("a password"))
    assert (fast.time_cost, fast.memory_cost, fast.parallelism) == (1, 8, 1)
    # A hash made at the production cost (as in a store made outside the tests) still verifies.
    strong = PasswordHasher().hash("a password")
    assert accounts.password_matches(strong, "a password") is True
    assert accounts.password_matches(strong, "another") is False
    assert accounts.password_matches(accounts.hash_password("a password"), "a password") is True
    assert accounts.password_matches(accounts.hash_password("a password"), "another") is False
