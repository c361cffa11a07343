#!/usr/bin/env python3
"""Tessera's pages in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven by
Selenium. Opens the front door, checks that its one stylesheet applied under the Content-Security-Policy and
that the browser reported no policy violation, follows the link to the API reference with the keyboard, and
keeps a screenshot of each page (desktop and phone widths) in the artefact folder.

Then signs in on the sign-in page as a person would (a wrong password first, then the right one), lands where
it was going with the session in an HttpOnly cookie, and signs out from the front door.

Usage: pages_browser.py BASE_URL ARTEFACT_FOLDER EMAIL PASSWORD
Prints `all checks passed` and exits 0, or names the first check that failed and exits 1.
"""
import os
import sys

from chromium import chromium, policy_violations
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from checks import check

BASE, ARTEFACTS, EMAIL, PASSWORD = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]


def main():
    os.makedirs(ARTEFACTS, exist_ok=True)
    driver = chromium()
    try:
        driver.get(BASE + "/")
        check("Tessera" in driver.title, "the front door has a title")
        check(driver.find_element(By.TAG_NAME, "h1").text == "Tessera", "and a heading")
        width = driver.execute_script("return getComputedStyle(document.querySelector('main')).maxWidth")
        check(width == "896px", f"its stylesheet applied under the policy (main max-width {width})")
        driver.save_screenshot(os.path.join(ARTEFACTS, "front.png"))

        # Keyboard only: Tab to the first link, Enter.
        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        focused = driver.switch_to.active_element
        check(focused.text == "API reference", "the first Tab reaches the API reference link")
        focused.send_keys(Keys.ENTER)
        WebDriverWait(driver, 60).until(lambda d: d.title.startswith("API reference"))
        check(driver.find_element(By.TAG_NAME, "h1").text == "API reference", "Enter follows it")
        rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
        check(len(rows) > 50, f"the reference lists the operations ({len(rows)})")
        driver.save_screenshot(os.path.join(ARTEFACTS, "docs.png"))
        driver.set_window_size(412, 900)
        driver.refresh()
        overflow = driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        check(overflow, "on a phone's width nothing scrolls sideways")
        driver.save_screenshot(os.path.join(ARTEFACTS, "docs-phone.png"))
        violations = policy_violations(driver)
        check(not violations, f"the browser reported no policy violation {violations[:2]}")

        driver.set_window_size(1000, 1100)
        driver.get(BASE + "/signin?next=/docs")
        check(driver.find_element(By.TAG_NAME, "h1").text == "Sign in", "the sign-in page opens")
        driver.save_screenshot(os.path.join(ARTEFACTS, "signin.png"))
        driver.find_element(By.ID, "email").send_keys(EMAIL)
        driver.find_element(By.ID, "password").send_keys("not the password" + Keys.ENTER)
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role=alert]"))
        alert = driver.find_element(By.CSS_SELECTOR, "[role=alert]").text
        check("not right" in alert, f"a wrong password is said on the page ({alert!r})")
        check(driver.find_element(By.ID, "email").get_attribute("value") == EMAIL, "the email is kept")
        driver.save_screenshot(os.path.join(ARTEFACTS, "signin-error.png"))
        driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
        WebDriverWait(driver, 60).until(lambda d: d.title.startswith("API reference"))
        check(driver.find_element(By.TAG_NAME, "h1").text == "API reference", "signed in, the browser goes on to next")
        session = driver.get_cookie("tessera_session")
        check(session is not None and session.get("httpOnly") is True, "the session is kept in an HttpOnly cookie")
        driver.get(BASE + "/")
        check("Signed in as" in driver.find_element(By.TAG_NAME, "main").text, "the front door says who is signed in")
        driver.find_element(By.CSS_SELECTOR, "form[action='/signout'] button").click()
        WebDriverWait(driver, 60).until(lambda d: d.title.startswith("Sign in"))
        check(driver.get_cookie("tessera_session") is None, "signing out clears the session cookie")
        driver.get(BASE + "/")
        check("Signed in as" not in driver.find_element(By.TAG_NAME, "main").text, "and the front door forgets the user")
        violations = policy_violations(driver)
        check(not violations, f"no policy violation on the sign-in pages {violations[:2]}")
    finally:
        driver.quit()
    print("all checks passed", flush=True)


main()
