"""pairlab: the sipha appliance pair on one machine, in network namespaces (`make run`, the
fault-matrix tests, the failover benchmark). Python 3 standard library only; run as root.

    from pairlab import Lab
    with Lab("build/bin", prefix="t1") as lab:      # BIG-IP mode; Lab(..., takeover=True)
        lab.bigip.wait_target(lab.primary(), 10)
        lab.a.kill("sipd")                          # kill -9
        lab.cut_ha_link(); lab.restore_ha_link()

See lab.py for the topology and the API, bigip.py for the BIG-IP stand-in, __main__.py for the
command line (python3 -m pairlab run --bin build/bin)."""

from .lab import (AGENT1, NETCFG1, SIPD1, Bigip, Lab, LabError, Node, Side, clean, clean_locked,
                  wait_for)
from .process import Process, ProcessError

__all__ = ["Lab", "Node", "Side", "Bigip", "LabError", "Process", "ProcessError", "clean",
           "clean_locked", "wait_for", "AGENT1", "SIPD1", "NETCFG1"]
