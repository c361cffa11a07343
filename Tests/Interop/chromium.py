"""Debian's headless Chromium through its chromedriver, as the interop and page tests drive it: never a
downloaded browser or driver, no sandbox only when run as root (CI), console messages kept for policy checks."""
import os

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def chromium(window_size="1000,1100"):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={window_size}"]:
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def policy_violations(driver):
    """The Content-Security-Policy violations the browser reported since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
