"""The integration tests' harness. Some of its helpers live in tools/pairlab (the pair lab of
`make run`, which the tests use too): that folder is put on the import path here."""

import os
import sys

_TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))), "tools")
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)
