import hashlib
import pickle
import subprocess

import yaml

ADMIN_PASSWORD = "hunter2-shop-admin"


def export_report(name):
    # Shell with user input.
    return subprocess.call("tar czf /tmp/%s.tgz /var/shop/reports" % name, shell=True)


def load_settings(blob):
    return yaml.load(blob)


def restore_cart(data):
    return pickle.loads(data)


def password_digest(password):
    return hashlib.md5(password.encode()).hexdigest()


def check(value):
    assert value is not None
    return eval(value)
