import {registry} from "@web/core/registry";

// a 4 x 4 PNG: the server checks the content, not only the name
const PHOTO =
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFElEQVR4nGNkYPjPAANMDEgANwcAMdMBB1sLEtoAAAAASUVORK5CYII=";

// A hospital's buyer opens one of its devices on the portal, asks for a
// repair with a photo, and sees the request received.
registry.category("web_tour.tours").add("crm_zhongzheng_portal_repair_request", {
    steps: () => [
        {trigger: "a.o_zz_request_repair", run: "click"},
        {
            content: "the form comes with the repair type and the device chosen",
            trigger: "select[name=lot_id]",
            run() {
                const type = document.querySelector("select[name=type]").value;
                const device = this.anchor.selectedOptions[0].textContent;
                if (type !== "repair" || !device.includes("US-TOUR-001")) {
                    throw new Error(`Form not prefilled: ${type}, ${device}`);
                }
            },
        },
        {trigger: "input[name=subject]", run: "edit Probe cable broken"},
        {
            trigger: "textarea[name=description]",
            run: "edit The probe cable of the scanner in room 3 is broken.",
        },
        {
            content: "attach a photo",
            trigger: "input[name=attachments]",
            run() {
                const bytes = Uint8Array.from(atob(PHOTO), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(
                    new File([bytes], "broken-cable.png", {type: "image/png"})
                );
                this.anchor.files = transfer.files;
            },
        },
        {trigger: "button[type=submit]:contains(Send Request)", run: "click"},
        {trigger: ".o_zz_request_created:contains(we received your request)"},
        {trigger: "#ticket_content h3:contains(Probe cable broken)"},
        {
            content: "the photo is in the ticket's conversation",
            trigger: "#chatterRoot:shadow .o-mail-Message .o-mail-AttachmentImage",
        },
    ],
});
