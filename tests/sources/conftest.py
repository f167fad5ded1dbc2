from tests.servers.fixtures import git_server, github_server, hub_server  # noqa: F401
