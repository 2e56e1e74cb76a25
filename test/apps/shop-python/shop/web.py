import requests


def fetch_price(url):
    return requests.get(url, verify=False, timeout=5).json()


def debug_server(app):
    app.run(host="0.0.0.0", debug=True)
