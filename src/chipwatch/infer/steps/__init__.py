"""The elimination steps, in the order the inference applies them. Each is a pure
function ``(evidence, catalog, candidates) -> (Step, candidates)``."""
from chipwatch.infer.steps import architecture, datacenter, explicit, memory, vendor

ORDER = (vendor, architecture, datacenter, memory, explicit)

__all__ = ["ORDER", "architecture", "datacenter", "explicit", "memory", "vendor"]
