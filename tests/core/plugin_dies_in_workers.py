"""A test plugin whose import kills every worker process (a broken worker environment); the driver lives."""

import multiprocessing
import os

if multiprocessing.current_process().name != "MainProcess":
    os._exit(7)
