"""A deck item's HTML built in Python: the markup of timeline/_item.html and _item_body.html,
character for character, for the column pages (issue 13: a column page within 3x its
selector's time). Thirty items through the templates' nested includes, `with`s and filters took
~1 ms each of template machinery; the same markup written here takes a fraction of that.

The templates stay: the item's own page (with its actions), a sent post's replies and the
inbox draw items through them, and tests/deck/test_item_html.py renders every kind of item
both ways and requires the same text, so the two cannot drift apart.

Escaping is the templates' own: every value from a network goes through `_e` (what `{{ }}`
does to a str: html.escape with quotes) unless a filter already made it safe markup (ingest's
cleaned HTML through with_emoji, names through name_emoji, linebreaksbr of escaped text); the
filters are the very ones the templates call. Nothing from a network is marked safe here.
"""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.template.loader import get_template

from hubbub.accounts.templatetags.hubbub_ui import initials, network_name, short_id
from hubbub.timeline.templatetags.deck_ui import (
    act_state,
    card_of,
    dicon,
    fast_url,
    is_image,
    iso_utc,
    media_list,
    private_label,
    quote_of,
    reltime,
    web_url,
)
from hubbub.timeline.templatetags.item_extras import name_emoji, poll_of, with_emoji
from hubbub.timeline.templatetags.notices import notice_of
from hubbub.timeline.templatetags.proxied import proxied_filter as proxied


def _e(value: Any) -> str:
    """`{{ value }}` of a template: safe markup as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape(str(value))


def _s(value: Any) -> str:
    """`{{ value }}` of a value the template gets from a failed lookup as "" (None)."""
    return "" if value is None else _e(value)


def items_html(items: Any, column: Any) -> str:
    """The items of a column's page, as `{% for item in items %}{% include "timeline/_item.html"
    with column=column %}{% endfor %}` writes them."""
    return "".join([item_html(item, column) for item in items])


def item_html(item: Any, column: Any) -> str:
    """One item, as timeline/_item.html writes it (without `full`: the actions are drawn by
    items.js)."""
    notice = notice_of(item)
    if notice:
        # Follows, likes and reposts of your posts: rare lines, through their template.
        return get_template("timeline/_notice.html").render(
            {"item": item, "column": column, "notice": notice}) + "\n"
    item_page = fast_url("timeline:item_conversation", item.pk)
    url = web_url(item.url)
    read_until = getattr(column, "read_until", None) if column is not None else None
    priority = getattr(item, "rule_priority", None)
    out: list[str] = ['<article class="item']
    if read_until and item.created_at > read_until and not getattr(item, "rule_read", None):
        out.append(" is-unread")
    if priority:
        out.append(" is-priority")
    out.append(f'" data-item="{item.pk}"')
    if url:
        out.append(f' data-url="{_e(url)}"')
    out.append(f"{act_state(item)}>\n")
    if item.reposted_by:
        out.append(f'<p class="item-context">{dicon("repeat")}<span>'
                   f"{_e(item.reposted_by_name or item.reposted_by)} reposted</span></p>\n")
    elif item.kind == "mention" and _column_kind(column) != "mentions":
        out.append(f'<p class="item-context">{dicon("at")}<span>Mentioned you</span></p>\n')
    author_url = web_url(item.author_url)
    avatar = proxied(web_url(item.author_avatar))
    network = _e(item.network)
    out.append(f'\n<span class="item-avatar net-{network}" aria-hidden="true">')
    if avatar:
        out.append(f'<img src="{_e(avatar)}" alt="" loading="lazy">')
    else:
        out.append('<span class="avatar avatar-initials">'
                   f"{_e(initials(item.author_name or item.author_handle))}</span>")
    out.append('</span>\n<div class="item-main">\n<header class="item-head"><a class="item-author"')
    if author_url:
        out.append(f' href="{_e(author_url)}" target="_blank"')
    out.append(f"><b>{name_emoji(item.author_name or item.author_handle, item)}</b> ")
    short = short_id(item.author_handle)
    out.append("<small")
    if short != item.author_handle:
        out.append(f' title="{_e(item.author_handle)}"')
    out.append(f">{_e(short)}</small></a> <span class=\"item-net net-{network}\">"
               f'<span class="vh">on </span>{_e(network_name(item.network))}</span>')
    if priority:
        out.append(' <span class="item-priority">Priority</span>')
    out.append(private_label(item))
    out.append(f' <a class="item-time" href="{_e(item_page)}"><time datetime="'
               f'{_e(iso_utc(item.created_at))}">{_e(reltime(item.created_at))}</time></a>'
               "</header>\n")
    if item.in_reply_to_handle:
        out.append(f'<p class="item-replying">{dicon("reply")}Replying to '
                   f'<span class="item-replying-to">{_e(item.in_reply_to_handle)}</span></p>\n')
    elif item.in_reply_to:
        out.append(f'<p class="item-replying">{dicon("reply")}Replying in a thread</p>\n')
    if item.content_warning:
        out.append(f'<details class="cw">\n<summary><span class="cw-label">{dicon("alert")}'
                   f"<span>{_e(item.content_warning)}</span></span>"
                   '<span class="cw-show" aria-hidden="true">Show</span></summary>\n')
        _body(out, item, column)
        out.append("\n</details>\n")
    else:
        _body(out, item, column)
        out.append("\n")
    out.append("</div>\n</article>\n")
    return "".join(out)


def _column_kind(column: Any) -> Any:
    filters = getattr(column, "filters", None) if column is not None else None
    return filters.get("kind") if isinstance(filters, dict) else None


def _body(out: list[str], item: Any, column: Any) -> None:
    """timeline/_item_body.html."""
    if item.html:
        text = with_emoji(item.html, item)
    else:
        text = with_emoji(linebreaksbr(item.text, autoescape=True), item)
    out.append(f'<div class="item-text">{text}</div>')
    poll = poll_of(item)
    if poll:
        out.append('\n<div class="poll" role="group" aria-label="Poll')
        if poll["multiple"]:
            out.append(", several answers allowed")
        if poll["expired"]:
            out.append(", closed")
        out.append('">\n<ul>')
        for option in poll["options"]:
            out.append(f'\n<li><span class="poll-title">{_e(option["title"])}</span>')
            if poll["shown"]:
                percent = option["percent"]
                out.append(f' <span class="poll-share">{percent}%</span><progress max="100" '
                           f'value="{percent}" aria-hidden="true">{percent}%</progress>')
            out.append("</li>\n")
        out.append('</ul>\n<p class="poll-state">')
        voters = poll["voters"]
        if voters >= 0:
            out.append(f"{voters} voter{'' if voters == 1 else 's'} · ")
        out.append("Closed" if poll["expired"] else "Open")
        if poll["multiple"]:
            out.append(" · several answers")
        out.append("</p>\n</div>\n")
    media = media_list(item.media)
    if media:
        out.append(f'\n<div class="media media-{len(media)}')
        if item.sensitive:
            out.append(" is-sensitive")
        out.append('">\n')
        if item.sensitive:
            reveal = f"reveal-c{_s(getattr(column, 'pk', None))}-i{item.pk}"
            out.append(f'<input type="checkbox" class="reveal-toggle" id="{reveal}">'
                       f'<label class="reveal" for="{reveal}">{dicon("eye")}<span>Sensitive '
                       "media<small>Click to show</small></span></label>")
        out.append("\n")
        for m in media:
            image = is_image(m)
            out.append('\n<figure class="media-cell">\n<a class="media-link')
            if not image:
                out.append(" is-video")
            out.append(f'" href="{_e(m["url"])}" target="_blank" tabindex="-1">\n')
            preview = proxied(m["preview_url"])
            if preview:
                out.append(f'<img src="{_e(preview)}" alt="{_e(m["description"])}" '
                           'loading="lazy">')
            out.append("\n")
            if not image:
                out.append(f'<span class="media-play">{dicon("play")}<span '
                           f'class="visually-hidden">Play {_e(m["type"])}</span></span>')
            elif not preview or not m["description"]:
                out.append('<span class="visually-hidden">Open the picture</span>')
            out.append("\n</a>\n")
            if m["description"]:
                out.append('<details class="alt"><summary title="Image description">ALT'
                           '</summary><div class="alt-text" tabindex="0"><p>'
                           f'{_e(m["description"])}</p></div></details>')
            out.append("\n</figure>\n")
        out.append("\n</div>\n")
    card = card_of(item.card)
    if card:
        out.append('\n<a class="link-card')
        if card["image"]:
            out.append(" has-image")
        out.append(f'" href="{_e(card["url"])}" target="_blank" rel="nofollow">\n')
        picture = proxied(card["image"])
        if picture:
            out.append(f'<img src="{_e(picture)}" alt="" loading="lazy">')
        out.append(f'\n<span class="link-card-body">\n<span class="link-card-host">'
                   f'{_e(card["host"])}</span>\n')
        if card["title"]:
            out.append(f'<span class="link-card-title">{_e(card["title"])}</span>')
        out.append("\n")
        if card["description"]:
            out.append(f'<span class="link-card-desc">{_e(card["description"])}</span>')
        out.append("\n</span>\n</a>\n")
    quote = quote_of(item.quote)
    if quote and quote.get("unavailable"):
        out.append(f'\n<p class="quote quote-gone">Quoted post unavailable '
                   f'({_e(quote["unavailable"])})')
        if quote["url"]:
            out.append(f' · <a href="{_e(quote["url"])}" target="_blank">open it</a>')
        out.append("</p>\n")
    elif quote:
        handle = quote["author_handle"]
        short = short_id(handle)
        out.append('\n<blockquote class="quote">\n<p class="quote-head"><span class="quote-name">'
                   f'{_e(quote["author_name"] or handle)}</span> <span class="quote-handle"')
        if short != handle:
            out.append(f' title="{_e(handle)}"')
        out.append(f'>{_e(short)}</span></p>\n<p class="quote-text">'
                   f'{linebreaksbr(quote["text"], autoescape=True)}</p>\n')
        if quote["url"]:
            out.append(f'<a class="quote-link" href="{_e(quote["url"])}" target="_blank">'
                       "Open quoted post</a>")
        out.append("\n</blockquote>\n")
    out.append("\n")
