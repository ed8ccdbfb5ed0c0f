/** @odoo-module **/

import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crm_zhongzheng_mass_mailing_from_tier", {
    steps: () => [
        {
            content: "New Mailing on the gold tier",
            trigger:
                ".o_data_row:has(td[name='name']:contains(Gold)) button[name='action_new_mailing']",
            run: "click",
        },
        {
            content: "The mailing targets the gold tier",
            trigger: "div[name='customer_tier_ids'] .o_tag:contains(Gold)",
        },
        {
            content: "Subject",
            trigger: "#subject_0",
            run: "edit Gold customers: spring calibration offer",
        },
        {
            trigger: ":iframe .o_mail_theme_selector_new",
        },
        {
            content: "Pick the basic theme",
            trigger: ":iframe #basic",
            run: "click",
        },
        {
            trigger: ":iframe html:not(:has(.o_mail_theme_selector_new))",
        },
        {
            content: "Open the control group tab",
            trigger: ".o_notebook_headers a[name='customer_uplift']",
            run: "click",
        },
        {
            content: "Keep 10% out as the control group",
            trigger: "div[name='holdout_percent'] input",
            run: "edit 10 && click body",
        },
        {
            content: "The form warns that the groups are too small",
            trigger: ".alert:contains(fewer than 30)",
        },
        ...stepUtils.saveForm(),
        {
            content: "Send",
            trigger: "button[name='action_launch']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button:contains(Send to all)",
            run: "click",
        },
        {
            content: "The mailing is queued",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(In Queue)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_zhongzheng_mass_mailing_result", {
    steps: () => [
        {
            content: "Open the control group tab",
            trigger: ".o_notebook_headers a[name='customer_uplift']",
            run: "click",
        },
        {
            content: "The result lists the revenue per customer of both groups",
            trigger:
                "div[name='campaign_result_ids'] .o_data_row td:contains(Revenue per Customer)",
        },
        {
            content: "and who was held out",
            trigger: "div[name='campaign_member_ids'] .o_data_row",
        },
    ],
});
