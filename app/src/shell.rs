//! The HTML document and the router.

use crate::{
    accounts::{AccountPage, CreateAccountPage, HomePage},
    audit::AuditPage,
    auth::{AcceptInvitationPage, ChangePasswordPage, ForgotPasswordPage, LoginPage, RegisterPage, ResetPasswordPage, SecondStepPage, VerifyEmailPage},
    partners::{AcceptPartnerPage, PartnersPage},
    i18n::*,
    me::{MySessionsPage, ProfilePage},
    roles::RolesPage,
    second_factor::SecurityPage,
    session::provide_session,
    ui::Layout,
    users::{EditUserPage, ImportUsersPage, NewUserPage, UsersPage},
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode, StaticSegment,
    components::{Route, Router, Routes},
    path,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::csp::send_page_policy();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <I18nContextProvider>
            <AppRoutes />
        </I18nContextProvider>
    }
}

#[component]
fn AppRoutes() -> impl IntoView {
    let i18n = use_i18n();
    provide_session();
    crate::users::provide_carried_notice();
    // Pages wait for the session before sending anything (SsrMode::Async), so a redirect is a
    // real HTTP redirect and the first HTML is complete.
    view! {
        <Stylesheet id="leptos" href="/pkg/portico.css" />
        <Title text=document_title(i18n) />
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/login/second-step") view=SecondStepPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/password/change") view=ChangePasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/account/new") view=CreateAccountPage ssr=SsrMode::Async />
                    <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/users/new") view=NewUserPage ssr=SsrMode::Async />
                    <Route path=path!("/users/import") view=ImportUsersPage ssr=SsrMode::Async />
                    <Route path=path!("/users/:id") view=EditUserPage ssr=SsrMode::Async />
                    <Route path=path!("/roles") view=RolesPage ssr=SsrMode::Async />
                    <Route path=path!("/sessions") view=MySessionsPage ssr=SsrMode::Async />
                    <Route path=path!("/security") view=SecurityPage ssr=SsrMode::Async />
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/password/forgot") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/password/reset") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/invitation") view=AcceptInvitationPage ssr=SsrMode::Async />
                    <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/partners") view=PartnersPage ssr=SsrMode::Async />
                    <Route path=path!("/partners/accept") view=AcceptPartnerPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}

/// The browser's title follows the language switch. The server's is the text itself:
/// leptos_meta reads it after the page has rendered, outside the request's reactive arena,
/// where a signal read can land in another request's arena (they interleave on a worker) and
/// panic, dropping the connection ("reactive value that has already been disposed").
fn document_title(i18n: leptos_i18n::I18nContext<Locale>) -> leptos::text_prop::TextProp {
    #[cfg(feature = "ssr")]
    return t_string!(i18n, app.title).to_string().into();
    #[cfg(not(feature = "ssr"))]
    return (move || t_string!(i18n, app.title)).into();
}

#[component]
fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <div class="mx-auto max-w-md text-center">
            <h1 class="text-2xl font-semibold text-slate-900">{t!(i18n, errors.page_not_found)}</h1>
            <a href="/" class="mt-4 inline-block text-indigo-600 hover:text-indigo-500">{t!(i18n, nav.home)}</a>
        </div>
    }
}
