#!/usr/bin/env python3
"""Opens the gateway's operator page (/dashboard on the admin port) in headless Chromium, waits until the pods
table shows the expected regions, checks the page's own parts and saves a screenshot.

usage: screenshot.py URL TOKEN OUT.png REGION...   (exit 1 with the page's text when something is missing)"""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main() -> int:
    url, token, out, regions = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        # The token travels in the fragment: never sent to the server, dropped from the address by the page.
        driver.get(f"{url}#token={token}")
        deadline = time.time() + 30
        text = ""
        while time.time() < deadline:
            text = driver.find_element(By.TAG_NAME, "body").text
            if all(region in driver.find_element(By.ID, "pods").text for region in regions):
                break
            time.sleep(0.3)
        driver.save_screenshot(out)
        missing = [r for r in regions if r not in driver.find_element(By.ID, "pods").text]
        problems = [f"pods table lacks {r}" for r in missing]
        for part in ("Job queue", "Recent failed jobs", "compute: "):
            if part not in text:
                problems.append(f"page lacks '{part}'")
        if "#token" in driver.current_url:
            problems.append("the token stayed in the address bar")
        if problems:
            print("operator page:", "; ".join(problems))
            print(text)
            return 1
        print(f"operator page: {', '.join(regions)} shown with their circuits; screenshot {out}")
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
