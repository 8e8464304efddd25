"""A private dbus-daemon with a permissive policy, and busctl/dbus-send helpers:
tools/pairlab/bus.py, shared with the pair lab."""

from pairlab.bus import BUS_CONFIG, BusMonitor, DbusDaemon

__all__ = ["BUS_CONFIG", "BusMonitor", "DbusDaemon"]
