"""Tests of the policy workbench (issue 21)."""
