#!/usr/bin/env python3
"""Signing in with a social login provider in a real browser: headless Chromium opens Tessera's sign-in page,
which offers the configured provider as a button; the button goes to the provider (a local OpenID Connect
provider the test runs, whose login page signs a person in at once), which sends the browser back to Tessera's
callback page; the browser lands where it was going, signed in, with its session in an HttpOnly cookie.

Usage: social_browser.py BASE_URL ARTEFACT_FOLDER PROVIDER_DISPLAY_NAME EXPECTED_EMAIL
Prints `all checks passed` and exits 0, or names the first check that failed and exits 1.
"""
import os
import sys

from chromium import chromium, policy_violations
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from checks import check

BASE, ARTEFACTS, PROVIDER, EMAIL = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]


def main():
    os.makedirs(ARTEFACTS, exist_ok=True)
    driver = chromium()
    try:
        driver.set_window_size(1000, 1100)
        driver.get(BASE + "/signin?next=/docs")
        button = driver.find_element(By.LINK_TEXT, f"Continue with {PROVIDER}")
        check(button.is_displayed(), "the sign-in page offers the provider as a button")
        driver.save_screenshot(os.path.join(ARTEFACTS, "signin-providers.png"))
        button.click()
        WebDriverWait(driver, 60).until(lambda d: d.title.startswith("API reference"))
        check(driver.current_url == BASE + "/docs", "back from the provider, the browser goes on to next")
        session = driver.get_cookie("tessera_session")
        check(session is not None and session.get("httpOnly") is True, "the session is kept in an HttpOnly cookie")
        driver.get(BASE + "/")
        main_text = driver.find_element(By.TAG_NAME, "main").text
        check(f"Signed in as {EMAIL}" in main_text, f"the front door says who is signed in ({main_text[:80]!r})")
        violations = policy_violations(driver)
        check(not violations, f"no policy violation {violations[:2]}")
    finally:
        driver.quit()
    print("all checks passed", flush=True)


main()
