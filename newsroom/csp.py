from csp.middleware import CSPMiddleware
from django.urls import reverse


class NewsroomCSPMiddleware(CSPMiddleware):
    """
    The site-wide policy from settings, widened for the admin alone: CKEditor 5 injects
    <style> elements and previews images from blob: URLs while an editor uploads them.
    Reader pages never get these exceptions.
    """

    admin_update = {"style-src": ["'unsafe-inline'"], "img-src": ["blob:"]}

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(reverse("admin:index")):
            parts.update = {**self.admin_update, **(parts.update or {})}
        return parts
