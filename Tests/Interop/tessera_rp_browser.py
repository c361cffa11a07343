#!/usr/bin/env python3
"""Tessera signs in with Tessera: headless Chromium opens the sign-in page of Tessera B, whose OpenID Connect social
login provider is Tessera A; the button sends it to A's sign-in page, then A's consent page, then back to B, which
verified A's ID token (discovery, JWKS, nonce, PKCE) and opened its own session for the person.

Usage: tessera_rp_browser.py B_URL A_DISPLAY_NAME EMAIL PASSWORD [ARTEFACT_FOLDER]
Prints `all checks passed` and exits 0, or names the first check that failed and exits 1.
"""
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from chromium import chromium
from checks import check

B, PROVIDER, EMAIL, PASSWORD = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
ARTEFACTS = sys.argv[5] if len(sys.argv) > 5 else None


def main():
    driver = chromium()
    try:
        driver.get(B + "/signin?next=/")
        driver.find_element(By.LINK_TEXT, f"Continue with {PROVIDER}").click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "email") and not d.current_url.startswith(B))
        check(driver.find_element(By.TAG_NAME, "h1").text == "Sign in", "B sends the browser to A's sign-in page")
        driver.find_element(By.ID, "email").send_keys(EMAIL)
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 60).until(lambda d: d.title.startswith("Allow"))
        check("know who you are" in driver.find_element(By.TAG_NAME, "main").text, "A asks for consent to openid")
        if ARTEFACTS:
            os.makedirs(ARTEFACTS, exist_ok=True)
            driver.save_screenshot(os.path.join(ARTEFACTS, "consent-tessera-rp.png"))
        driver.find_element(By.CSS_SELECTOR, "button[value=true]").click()
        try:
            WebDriverWait(driver, 60).until(lambda d: d.current_url.startswith(B) and "Signed in as" in d.page_source)
        except Exception:
            check(False, f"back at B, signed in: at {driver.current_url}: {driver.find_element(By.TAG_NAME, 'body').text[:300]!r}")
        text = driver.find_element(By.TAG_NAME, "main").text
        check(f"Signed in as {EMAIL}" in text, f"back at B, signed in as A's user ({text[:60]!r})")
    finally:
        driver.quit()
    print("all checks passed", flush=True)


main()
