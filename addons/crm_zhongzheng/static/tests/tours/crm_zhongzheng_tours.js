import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

const tours = registry.category("web_tour.tours");

function number(selector) {
    const element = document.querySelector(selector);
    if (!element) {
        throw new Error(`Nothing shows ${selector}`);
    }
    const text = (element.value || element.textContent).replace(/[^\d.-]/g, "");
    return parseFloat(text);
}

// A sales user opens a customer's "Customer Value" tab: the score, its
// breakdown (which adds up to the score), RFM and the tier are on screen.
tours.add("crm_zhongzheng_value_tab", {
    steps: () => [
        {
            trigger: ".o_notebook .nav-link:contains(Customer Value)",
            run: "click",
        },
        {trigger: ".o_inner_group:contains(Score Breakdown (points))"},
        {trigger: ".o_field_widget[name=tier_id]:contains(Platinum)"},
        {trigger: ".o_field_widget[name=rfm_segment_id]:not(:empty)"},
        {
            content: "the breakdown adds up to the score",
            trigger: ".o_field_widget[name=value_points_current]",
            run() {
                const parts = [
                    "current",
                    "potential",
                    "loyalty",
                    "payment",
                    "cost",
                ].map((part) =>
                    number(`.o_field_widget[name=value_points_${part}] span`)
                );
                const total = parts.reduce((a, b) => a + b, 0);
                const score = number(
                    ".o_field_widget[name=value_score] .o_progressbar_value span"
                );
                if (!(score > 0) || Math.abs(total - score) > 0.6) {
                    throw new Error(`breakdown ${parts} = ${total}, score ${score}`);
                }
            },
        },
    ],
});

// A CRM manager sets a customer's tier by hand, with a reason; the form
// then shows the new tier, flagged as overridden, next to the computed one.
tours.add("crm_zhongzheng_tier_override", {
    steps: () => [
        {
            trigger: ".o_notebook .nav-link:contains(Customer Value)",
            run: "click",
        },
        {trigger: "button[name=action_override_tier]", run: "click"},
        {trigger: ".modal .o_field_widget[name=tier_id] input", run: "edit Gold"},
        {trigger: ".o-autocomplete--dropdown-item a:contains(Gold)", run: "click"},
        {
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit Framework contract signed for 2027",
        },
        {trigger: ".modal .o_form_button_save", run: "click"},
        {trigger: "body:not(:has(.modal))"},
        {trigger: ".badge:contains(Overridden)"},
        {trigger: ".o_field_widget[name=tier_id]:contains(Gold)"},
        {trigger: ".alert:contains(Tier set by hand)"},
    ],
});

// A service user opens a ticket from a delivery, moves it through its
// stages and closes it: the ticket then shows as closed and read-only.
tours.add("crm_zhongzheng_ticket_from_delivery", {
    steps: () => [
        {trigger: "button[name=action_new_service_ticket]", run: "click"},
        {trigger: ".o_notebook .nav-link:contains(Orders and Shipments)", run: "click"},
        {
            content: "the ticket is prefilled with the delivery",
            trigger: ".o_field_widget[name=picking_id] input",
            run() {
                const value = this.anchor.value;
                if (!value.includes("/OUT/")) {
                    throw new Error(`delivery field shows "${value}"`);
                }
            },
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Carton dented on arrival",
        },
        {trigger: ".o_form_button_save", run: "click"},
        {trigger: ".o_field_widget[name=number]:contains(ST/)"},
        {trigger: ".o_statusbar_status button:contains(In Progress)", run: "click"},
        {trigger: ".o_statusbar_status button.o_arrow_button_current:contains(In Progress)"},
        {trigger: ".o_statusbar_status button:contains(Resolved)", run: "click"},
        {trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Resolved)"},
        {trigger: ".o_statusbar_status button:contains(Closed)", run: "click"},
        // Resolved shows the ribbon already: wait for the Closed stage's save
        {trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Closed)"},
        {trigger: ".o_form_saved"},
        {trigger: ".ribbon:contains(Closed)"},
        {trigger: "button[name=action_record_rating]"},
        {trigger: ".o_field_widget[name=name].o_readonly_modifier"},
    ],
});

// A service user registers a claim; approving it is not offered to them.
tours.add("crm_zhongzheng_claim_register", {
    steps: () => [
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Two monitors broken in transit",
        },
        {trigger: ".o_field_widget[name=type_id] input", run: "edit Claim"},
        {trigger: ".o-autocomplete--dropdown-item a:contains(Claim)", run: "click"},
        {trigger: ".o_notebook .nav-link:contains(Claim)", run: "click"},
        {trigger: ".o_field_widget[name=claim_amount] input", run: "edit 1250"},
        {trigger: ".o_field_widget[name=claim_cause] select", run: "selectByLabel Carrier Damage"},
        // the form computes the claim state before saving: wait for the save
        ...stepUtils.saveForm(),
        {trigger: ".o_field_widget[name=claim_state]:contains(To Approve)"},
        {trigger: ".o_form_statusbar:not(:has(button[name=action_approve_claim]))"},
    ],
});

// The service manager approves it and turns it into a credit note for
// the approved amount.
tours.add("crm_zhongzheng_claim_approve", {
    steps: () => [
        {trigger: ".o_notebook .nav-link:contains(Claim)", run: "click"},
        {trigger: ".o_field_widget[name=claim_state]:contains(To Approve)"},
        {trigger: "button[name=action_approve_claim]", run: "click"},
        {trigger: ".o_field_widget[name=claim_state]:contains(Approved)"},
        {trigger: ".o_field_widget[name=claim_approved_amount]:contains(1,250.00)"},
        {trigger: "button[name=action_create_credit_note]", run: "click"},
        {trigger: ".o_breadcrumb:contains(Credit Note)"},
        {trigger: ".o_field_widget[name=tax_totals]:contains(1,250.00)"},
    ],
});

// A manager opens the dashboard from the app's menu: the customer value
// pivot shows revenue per tier; switching to the graph draws it.
tours.add("crm_zhongzheng_dashboard", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='crm_zhongzheng.crm_zhongzheng_menu_root']",
            run: "click",
        },
        {trigger: ".o_menu_sections button:contains(Dashboard)", run: "click"},
        {
            trigger:
                ".dropdown-item[data-menu-xmlid='crm_zhongzheng.customer_value_report_menu']",
            run: "click",
        },
        {trigger: ".o_pivot th:contains(Platinum)"},
        {trigger: ".o_pivot th:contains(Lead)"},
        {trigger: ".o_pivot_measure_row:contains(Revenue)"},
        {trigger: ".o_switch_view.o_graph", run: "click"},
        {trigger: ".o_graph_renderer canvas"},
        {trigger: ".o_switch_view.o_graph.active"},
    ],
});
