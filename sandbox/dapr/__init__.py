"""The sandbox's Dapr sidecar (HTTP and gRPC, one process)."""

import warnings

# the dapr wheel warns on import that dapr-ext-workflow is installed beside it; the real budapp's venv pins the
# same pair (config/source/budapp-constraints.txt), so the sidecar keeps it and the warning says nothing new
warnings.filterwarnings("ignore", message="Legacy Dapr extension", category=FutureWarning)
