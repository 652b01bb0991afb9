from django.urls import path

from . import views

app_name = "donations"

urlpatterns = [
    path("", views.donate, name="donate"),
    path("give/", views.give, name="give"),
    path("thank-you/", views.thank_you, name="thank-you"),
    path("progress/<slug:slug>.json", views.progress, name="progress"),
    path("events/", views.appeal_event, name="event"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe-webhook"),
]
