//! The link context: the model's [`Link`] as the address bar says it, the view state typed
//! ahead of it, and the writes. A keystroke is shown in the frame it was typed in: the typed
//! state is what the view follows at once; the URL (a `history.replaceState`) catches up after
//! that frame has painted. Any other write wins over pending typing.

use explorer_model::{ApiLink, ApiRequest, Link, LinkDefaults, LinkError, ViewState};
use leptos::prelude::*;

use crate::address_bar::AddressBar;
use crate::deployment::Deployment;
use crate::schedule::after_paint;

/// Handle to the link; provided as context by the app.
#[derive(Clone, Copy)]
pub struct LinkState {
    bar: AddressBar,
    defaults: StoredValue<LinkDefaults>,
    /// The link the address bar holds.
    url: Memo<Link>,
    /// The view state typed into the search box, ahead of the URL.
    typed: RwSignal<Option<ViewState>>,
    /// What is shown: the typed state while it is ahead, else the URL's.
    pub view: Memo<ViewState>,
    /// The live API request the link names for this deployment, if any (an error names the
    /// parameter that cannot be used).
    pub request: Memo<Option<Result<ApiRequest, LinkError>>>,
}

impl LinkState {
    pub fn provide(bar: AddressBar, deployment: Deployment) -> LinkState {
        let defaults = LinkDefaults {
            zone: deployment.default_zone(),
        };
        let url_defaults = defaults.clone();
        let url = Memo::new(move |_| Link::read(bar.pairs(), &url_defaults));
        let typed = RwSignal::new(None::<ViewState>);
        let view = Memo::new(move |_| typed.get().unwrap_or_else(|| url.with(|l| l.view.clone())));
        let request = Memo::new(move |_| {
            let host_api = deployment.host_api.get();
            let config = deployment.config();
            url.with(|l| l.api.request_in(&config, host_api.as_deref()))
        });
        let link = LinkState {
            bar,
            defaults: StoredValue::new(defaults),
            url,
            typed,
            view,
            request,
        };
        provide_context(link);
        link
    }

    /// The link as the address bar holds it (untracked).
    pub fn current(&self) -> Link {
        self.url.get_untracked()
    }

    /// Changes the view state. `replace` for typing (the view follows at once, the history
    /// entry is replaced after the frame paints); a new history entry otherwise, so Back
    /// returns (views, selections, facets).
    pub fn update_view(&self, replace: bool, f: impl FnOnce(&mut ViewState)) {
        let mut next = self.view.get_untracked();
        f(&mut next);
        if next == self.view.get_untracked() {
            return;
        }
        if replace {
            self.type_ahead(next);
        } else {
            let mut link = self.current();
            link.view = next;
            self.write(&link, false);
        }
    }

    /// Opens another source (an entity, or none for the demo and files): its API part and a
    /// fresh view in the same zone, as a new history entry.
    pub fn open_source(&self, api: ApiLink) {
        let link = self.current().with_source(api);
        self.write(&link, false);
    }

    fn type_ahead(&self, next: ViewState) {
        let was_pending = self.typed.with_untracked(Option::is_some);
        self.typed.set(Some(next));
        if was_pending {
            return;
        }
        let this = *self;
        let url_then = self.url.get_untracked();
        after_paint(move || {
            let Some(next) = this.typed.try_get_untracked().flatten() else {
                return;
            };
            // If the URL changed meanwhile (Back, a link), that wins.
            if this.url.get_untracked() == url_then {
                let mut link = url_then;
                link.view = next;
                this.write(&link, true);
            } else {
                this.typed.set(None);
            }
        });
    }

    fn write(&self, link: &Link, replace: bool) {
        let search = self.defaults.with_value(|d| link.to_search(d));
        self.bar.write(&search, replace);
        // The URL holds every state now, typed or not.
        if self.typed.with_untracked(Option::is_some) {
            self.typed.set(None);
        }
    }
}

pub fn use_link() -> LinkState {
    expect_context::<LinkState>()
}
