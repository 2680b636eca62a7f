from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from hubbub.accounts import services, throttle
from hubbub.accounts.forms import LoginForm, OwnerForm, PreferencesForm
from hubbub.accounts.web import AuthedRequest, page


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_not_required
@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
def setup(request: HttpRequest) -> HttpResponse:
    """Create the owner account. Exists only until the first account does."""
    if services.owner_exists():
        return _owner_exists(request)
    form = OwnerForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.create_owner(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    tz=form.cleaned_data["timezone"],
                )
            except services.OwnerExists:
                return _owner_exists(request)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}. Connect an account to start.")
            response = redirect("connections:list")
            throttle.remember_device(request, response, user.get_username())
            return response
        if services.owner_exists():  # another set-up won while this form was being checked
            return _owner_exists(request)
    return page(request, "accounts/setup.html", {"form": form})


def _owner_exists(request: HttpRequest) -> HttpResponse:
    """The set-up page is gone: a visit goes to the login; a set-up that lost a race (two
    browsers, or a double click) is told so, in words."""
    if request.method != "POST":
        return redirect("accounts:login")
    return page(request, "accounts/setup_done.html", status=409)


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if not services.owner_exists():
        return redirect("accounts:setup")
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.attempt_login(
                request, form.cleaned_data["username"], form.cleaned_data["password"]
            )
        except services.LoginLocked as exc:
            form.add_error(None, exc.lockout.message)
            status = 429
        except services.LoginRefused as exc:
            form.add_error(None, " ".join(
                part for part in ("That username and password do not match.", exc.warning)
                if part))
            status = 400
        else:
            login(request, user)
            response = HttpResponseRedirect(_next_url(request))
            # This browser is now a known device: it is throttled apart from every address.
            throttle.remember_device(request, response, user.get_username())
            return response
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return page(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("accounts:login")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Your password is changed.")
        response = redirect("accounts:settings")
        # Every other browser's device cookie named the old password; this one stays known.
        throttle.remember_device(request, response, user.get_username())
        return response
    return page(request, "accounts/password_change.html", {"form": form}, section="settings")


def settings_view(request: AuthedRequest) -> HttpResponse:
    profile = services.profile_for(request.user)
    form = PreferencesForm(
        request.POST or None,
        initial={"timezone": profile.timezone, "late_policy": profile.late_policy},
    )
    if request.method == "POST" and form.is_valid():
        services.update_preferences(
            request.user,
            tz=form.cleaned_data["timezone"],
            late_policy=form.cleaned_data["late_policy"],
        )
        messages.success(request, "Settings saved.")
        return redirect("accounts:settings")
    return page(request, "accounts/settings.html", {"form": form}, section="settings")
