"""Git object access: bare partial clones read with plumbing; never a checkout."""
from chipwatch.gitio.objects import CommitInfo, GitRepo, TreeEntry, git_env, iso_utc

__all__ = ["GitRepo", "CommitInfo", "TreeEntry", "git_env", "iso_utc"]
