"""`slqc check thm2 --budget thorough` prints its estimated running time before any work (issue 15)."""

from __future__ import annotations

import argparse

from slqc.claims import get_claim
from slqc.claims.noisy_glm import estimate_seconds
from slqc.commands.check import _print_thm2_estimate


def _args(budget: str, claims: list[str]) -> argparse.Namespace:
    return argparse.Namespace(budget=budget, claims=claims, device="cpu")


def test_thorough_thm2_prints_the_estimate_of_its_settings(capsys):
    _print_thm2_estimate(_args("thorough", ["thm2"]))
    err = capsys.readouterr().err
    rate = float(err.split("engine ")[1].split(" G")[0]) * 1e9
    expected = estimate_seconds(get_claim("thm2").settings("thorough"), "cpu", rate=rate)["seconds"] / 60
    printed = float(err.split("estimated ")[1].split(" min")[0])
    assert abs(printed - expected) <= 0.05 + 0.01 * expected  # the rate is printed to 3 digits


def test_no_estimate_for_other_budgets_or_claims(capsys):
    _print_thm2_estimate(_args("quick", ["thm2"]))
    _print_thm2_estimate(_args("thorough", ["thm1"]))
    assert capsys.readouterr().err == ""
