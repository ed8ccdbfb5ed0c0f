import polib

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.misc import file_path


@tagged("post_install", "-at_install")
class TestChinese(TransactionCase):
    """The users read Chinese: the translation is complete and a zh_CN user
    sees menus, labels and messages in Chinese."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["crm_zhongzheng"], ["zh_CN"], overwrite=True
        )
        cls.user = new_test_user(
            cls.env,
            login="zz_zh_service",
            groups="base.group_user,crm_zhongzheng.group_service_user,"
            "crm_zhongzheng.group_crm_user",
            lang="zh_CN",
        )
        cls.zh = cls.env(user=cls.user, context={"lang": "zh_CN"})

    def test_translation_is_complete(self):
        template = polib.pofile(file_path("crm_zhongzheng/i18n/crm_zhongzheng.pot"))
        chinese = polib.pofile(file_path("crm_zhongzheng/i18n/zh_CN.po"))
        translated = {(e.msgctxt, e.msgid) for e in chinese.translated_entries()}
        missing = [
            e.msgid[:60] for e in template if (e.msgctxt, e.msgid) not in translated
        ]
        self.assertFalse(missing, f"{len(missing)} terms without Chinese")
        self.assertFalse(chinese.fuzzy_entries(), "fuzzy translations")

    def test_menus_and_labels_in_chinese(self):
        menu = self.zh.ref("crm_zhongzheng.crm_zhongzheng_menu_root")
        self.assertEqual(menu.name, "客户关系")
        self.assertEqual(
            self.zh.ref("crm_zhongzheng.service_ticket_menu").name, "服务工单"
        )
        fields = self.zh["res.partner"].fields_get(["tier_id", "relationship_class"])
        self.assertEqual(fields["tier_id"]["string"], "层级")
        classes = dict(fields["relationship_class"]["selection"])
        self.assertEqual(classes["loyal"], "忠诚客户")
        self.assertEqual(classes["lost"], "流失客户")
        tiers = [
            self.zh.ref(f"crm_zhongzheng.customer_tier_{code}").name
            for code in ("platinum", "lead")
        ]
        self.assertEqual(tiers, ["铂金", "铅"])
        stage = self.zh.ref("crm_zhongzheng.service_ticket_stage_waiting")
        self.assertEqual(stage.name, "等待客户回复")

    def test_error_message_in_chinese(self):
        ticket = self.zh["zhongzheng.service.ticket"].create(
            {"name": "说明书缺页", "partner_id": self.env.ref("base.res_partner_2").id}
        )
        with self.assertRaisesRegex(UserError, "评分范围为 1 到 5"):
            ticket._record_rating(9)
