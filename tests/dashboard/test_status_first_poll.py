"""The first status poll of a page whose page-load answer never arrived requests the training."""

from __future__ import annotations

from dash import no_update

from dashboard.status import check_status


def test_poll_without_status_requests_training(untrained):
    # the page-load call was slow (a busy server): the 1.5 s poll went out meanwhile and the
    # page kept its answer only, without the training request, and never trained
    status, request, *_rest, poll_disabled = check_status(
        untrained, None, page_load=False, previous=None
    )
    assert status == {"ready": False}
    assert isinstance(request, dict) and "t" in request
    assert poll_disabled is False


def test_poll_with_status_requests_nothing(untrained):
    out = check_status(untrained, None, page_load=False, previous={"ready": False})
    assert out[1] is no_update
    assert out[5] is False
