"""`{% proxied url %}` and `url|proxied`: a remote picture's address through the hub's image
proxy (timeline/media_proxy.py), "" when it is none to show. Every template that shows a
picture from a network uses one of them: the page's policy (img-src 'self') loads no other."""

from __future__ import annotations

from django import template

from hubbub.timeline.media_proxy import proxied_url

register = template.Library()


@register.simple_tag(name="proxied")
def proxied_tag(url: object) -> str:
    return proxied_url(url)


@register.filter(name="proxied")
def proxied_filter(url: object) -> str:
    return proxied_url(url)
