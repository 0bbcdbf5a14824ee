"""WorkSpaces Secure Browser URLs: every path goes to ``dispatch``, which finds
the operation from botocore's model by HTTP method and URI template."""

from .responses import WorkSpacesWebResponse

url_bases = [
    r"https?://workspaces-web\.(.+)\.amazonaws\.com",
]

url_paths = {
    "{0}/.*$": WorkSpacesWebResponse.dispatch,
}
