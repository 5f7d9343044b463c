from . import store


def catalogue_status(request):
    """What the catalogue served to this request is missing: the banner in base.html."""
    return {"catalogue_problems": store.serving_problems()}
