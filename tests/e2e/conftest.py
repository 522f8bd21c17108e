"""The real system's fixtures live in tests/e2e/fixtures.py, registered for every test directory by
tests/conftest.py, so tests/e2e and tests/security share one running stack."""
