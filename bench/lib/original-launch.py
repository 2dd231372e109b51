"""Runs the original Tasse's server.py unchanged, except for the address and port Flask listens on
(it has no setting for them: 0.0.0.0:5000 is written in the file), so that the bench can run it
on a free loopback port. Usage: original-launch.py PATH/server.py PORT"""
import runpy
import sys

import flask

path, port = sys.argv[1], int(sys.argv[2])
_run = flask.Flask.run


def run(self, host=None, port_=None, **options):
    return _run(self, host="127.0.0.1", port=port, **options)


flask.Flask.run = run
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
