"""The standard category set (DESIGN §4): major classes of C 部件, E 事件, S 民生服务 and
the sub-categories cases are filed under, with priorities, step limits, conditions and the
department kind that usually handles them.

Limits: problems (C, E) run in working hours (a working day counted as 8); routine public
services run in working days. Every sub-category has a per-step calendar-hour limit for
urgent cases. The data is frozen here, not imported from app code, so the migration keeps
meaning what it meant. Reversing deletes exactly the codes listed here.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import migrations

H, D = "working_hours", "working_days"

MAJOR_CLASSES = [
    ("C01", "公用设施"),
    ("C02", "道路交通"),
    ("C03", "市容环境"),
    ("C04", "园林绿化"),
    ("C05", "房屋土地"),
    ("C06", "其他设施"),
    ("E01", "市容环境"),
    ("E02", "宣传广告"),
    ("E03", "施工管理"),
    ("E04", "街面秩序"),
    ("E05", "突发事件"),
    ("E06", "其他"),
    ("S01", "养老"),
    ("S02", "医疗"),
    ("S03", "助残"),
    ("S04", "救助"),
    ("S05", "儿童关爱"),
    ("S06", "就业"),
    ("S07", "优抚"),
    ("S08", "矛盾纠纷调解"),
    ("S09", "安全隐患"),
]

# code, name, priority, (accept, dispatch, handle, verify), unit, urgent calendar hours per
# step, department kind, result photo, verification photo, 立案条件, 结案条件
SUBCATEGORIES = [
    # --- C 部件 -------------------------------------------------------------------------
    ("C0101", "上水井盖", "high", (2, 1, 4, 4), H, 2, "urban_management", True, True,
     "上水井盖丢失、破损、移位或与路面高差明显，存在安全隐患。",
     "井盖已补装或更换，安放平稳，与路面基本齐平。"),
    ("C0102", "污水井盖", "high", (2, 1, 4, 4), H, 2, "urban_management", True, True,
     "污水井盖丢失、破损、移位或与路面高差明显，存在安全隐患。",
     "井盖已补装或更换，安放平稳，与路面基本齐平。"),
    ("C0103", "雨水箅子", "normal", (2, 1, 8, 4), H, 4, "urban_management", True, True,
     "雨水箅子丢失、破损、堵塞或移位。",
     "雨水箅子已补装、更换或疏通，排水正常。"),
    ("C0104", "路灯", "normal", (2, 1, 16, 4), H, 4, "urban_management", True, True,
     "路灯不亮、昼亮、灯杆倾斜或灯具破损。",
     "路灯恢复正常照明，灯杆灯具完好。"),
    ("C0105", "消火栓", "high", (2, 1, 8, 4), H, 4, "fire", True, True,
     "市政消火栓损坏、漏水、被圈占或遮挡。",
     "消火栓修复完好，周边无圈占遮挡。"),
    ("C0201", "交通信号灯", "high", (2, 1, 4, 4), H, 2, "police", True, True,
     "交通信号灯不亮、显示异常或灯杆倾斜。",
     "信号灯恢复正常运行。"),
    ("C0202", "交通护栏", "normal", (2, 1, 16, 4), H, 4, "police", True, True,
     "交通护栏缺失、破损、倾倒或被挪移。",
     "护栏已修复、扶正或补齐。"),
    ("C0203", "公交站亭", "low", (2, 1, 24, 4), H, 4, "urban_management", True, True,
     "公交站亭顶棚、座椅、广告灯箱等破损或污损。",
     "站亭修复完好、整洁。"),
    ("C0204", "人行道板", "normal", (2, 1, 24, 4), H, 4, "urban_management", True, True,
     "人行道板松动、破损、缺失，影响通行安全。",
     "道板已修补平整，无松动缺失。"),
    ("C0301", "公共厕所", "normal", (2, 1, 8, 4), H, 4, "urban_management", True, True,
     "公共厕所设施损坏、脏乱或无故停止开放。",
     "设施修复、保洁到位并恢复开放。"),
    ("C0302", "垃圾箱", "normal", (2, 1, 8, 4), H, 4, "urban_management", True, True,
     "垃圾箱（果皮箱）破损、缺失、满溢未清。",
     "垃圾箱已修复或补设，清运完毕。"),
    ("C0303", "户外广告设施", "normal", (2, 1, 40, 4), H, 4, "urban_management", True, True,
     "户外广告牌匾、灯箱破损、松动或存在坠落隐患。",
     "设施已加固、修复或拆除，隐患消除。"),
    ("C0401", "行道树", "normal", (2, 1, 24, 4), H, 4, "urban_management", True, True,
     "行道树倒伏、断枝、枯死或树穴缺损，影响通行或存在安全隐患。",
     "倒伏断枝已清理，枯树已补植或树穴修复。"),
    ("C0402", "绿地", "low", (2, 1, 40, 4), H, 8, "urban_management", True, True,
     "公共绿地被毁、黄土裸露或护栏损坏。",
     "绿地已恢复或覆盖，护栏修复。"),
    ("C0501", "危房", "high", (2, 1, 8, 4), H, 4, "housing", True, True,
     "房屋出现明显裂缝、倾斜、局部坍塌等险情。",
     "已完成安全鉴定并采取排险、加固或疏散措施。"),
    ("C0502", "建筑外立面脱落", "high", (2, 1, 8, 4), H, 4, "housing", True, True,
     "建筑外墙饰面、空调外机支架等松动或脱落，存在坠落隐患。",
     "已设置警戒并完成修复或拆除，隐患消除。"),
    ("C0601", "健身设施", "low", (2, 1, 40, 4), H, 8, "urban_management", True, True,
     "公共健身器材损坏、松动或存在伤人隐患。",
     "器材已修复、更换或拆除并设置提示。"),
    ("C0602", "电动自行车充电设施", "normal", (2, 1, 24, 4), H, 4, "property_management",
     True, True,
     "小区电动自行车集中充电设施损坏、断电或不足。",
     "充电设施修复并恢复使用。"),
    # --- E 事件 -------------------------------------------------------------------------
    ("E0101", "暴露垃圾", "normal", (2, 1, 4, 4), H, 4, "urban_management", True, True,
     "道路、绿地、居民区等公共区域存在暴露垃圾。",
     "垃圾已清运干净，现场无残留。"),
    ("E0102", "积存渣土", "normal", (2, 1, 8, 4), H, 4, "urban_management", True, True,
     "公共区域积存建筑渣土、废料未清运。",
     "渣土已清运完毕，现场整洁。"),
    ("E0103", "道路不洁", "low", (2, 1, 4, 4), H, 4, "urban_management", True, True,
     "道路有明显污物、油渍、泥土或积雪未清扫。",
     "道路已清扫冲洗干净。"),
    ("E0104", "绿地脏乱", "low", (2, 1, 8, 4), H, 8, "urban_management", True, True,
     "绿地内存在垃圾、杂物堆放。",
     "绿地已清理整洁。"),
    ("E0201", "非法小广告", "low", (2, 1, 8, 4), H, 8, "urban_management", True, True,
     "墙面、设施上张贴、喷涂、刻画非法小广告。",
     "小广告已清除或覆盖，无明显痕迹。"),
    ("E0202", "违规户外广告", "normal", (2, 1, 40, 4), H, 8, "urban_management", True, True,
     "未经审批设置或超期设置的户外广告、条幅。",
     "违规广告已拆除或补办审批手续。"),
    ("E0301", "施工扰民", "normal", (2, 1, 4, 4), H, 2, "urban_management", False, True,
     "夜间（22时至次日6时）或禁止时段施工产生噪声、强光扰民。",
     "施工已停止或取得夜间施工许可并落实降噪措施。"),
    ("E0302", "无证施工", "high", (2, 1, 8, 4), H, 4, "housing", True, True,
     "未取得施工许可擅自施工或擅自改变房屋结构。",
     "施工已停止，已责令补办手续或恢复原状。"),
    ("E0303", "道路遗撒", "normal", (2, 1, 4, 4), H, 2, "urban_management", True, True,
     "运输车辆沿途遗撒渣土、砂石、泥浆。",
     "遗撒物已清理，责任车辆已查处。"),
    ("E0401", "无照经营游商", "normal", (2, 1, 4, 4), H, 4, "urban_management", False, True,
     "无照流动摊贩在道路、广场等公共区域经营。",
     "游商已劝离或依法处置，现场恢复秩序。"),
    ("E0402", "占道经营", "normal", (2, 1, 4, 4), H, 4, "urban_management", True, True,
     "店铺出店经营、摊点占用道路或人行道经营。",
     "占道物品已清理，经营回归店内。"),
    ("E0403", "乱堆物料", "low", (2, 1, 8, 4), H, 8, "urban_management", True, True,
     "公共区域乱堆乱放物品、建材、杂物。",
     "物料已清理或规范堆放。"),
    ("E0404", "违章停车", "normal", (2, 1, 2, 4), H, 2, "police", False, True,
     "机动车违规停放，占用消防通道、盲道或影响通行。",
     "车辆已驶离或已依法处置。"),
    ("E0501", "路面塌陷", "urgent", (1, 1, 4, 4), H, 2, "housing", True, True,
     "道路出现塌陷、坑槽、空洞，危及通行安全。",
     "已设置警戒并完成抢修回填，路面恢复通行。"),
    ("E0502", "燃气泄漏", "urgent", (1, 1, 2, 2), H, 1, "fire", False, True,
     "发现燃气泄漏气味或燃气管线、设施损坏泄漏。",
     "泄漏已排除，管线设施修复并经检测安全。"),
    ("E0503", "火灾隐患", "high", (2, 1, 8, 4), H, 4, "fire", True, True,
     "易燃物堆放、私拉乱接电线、消防设施损坏等火灾隐患。",
     "隐患已整改消除。"),
    ("E0504", "道路积水", "high", (1, 1, 4, 4), H, 2, "urban_management", True, True,
     "降雨后道路、下凹桥区积水，影响通行安全。",
     "积水已排除，道路恢复通行。"),
    ("E0601", "其他事件", "normal", (2, 1, 40, 4), H, 8, "", False, True,
     "不属于以上类别、需要政府部门处置的城市管理问题。",
     "问题已按处置部门意见处理完毕。"),
    # --- S 民生服务 ---------------------------------------------------------------------
    # No result photos of people: service cases record what was done, not who was helped.
    ("S0101", "独居老人关爱", "high", (2, 1, 8, 4), H, 4, "civil_affairs", False, False,
     "独居老人长时间未露面、身体不适或生活出现困难。",
     "已上门探视，老人情况已核实并落实帮扶措施。"),
    ("S0102", "高龄老人探访", "normal", (1, 1, 5, 2), D, 12, "civil_affairs", False, False,
     "80周岁以上老人需要定期探访或提出服务需求。",
     "已完成探访并记录老人状况与需求。"),
    ("S0103", "养老服务需求", "normal", (1, 1, 5, 2), D, 12, "civil_affairs", False, False,
     "老人或家属提出助餐、助浴、助洁、居家养老等服务需求。",
     "服务已对接落实或已告知办理渠道。"),
    ("S0201", "就医协助", "high", (2, 1, 8, 4), H, 4, "health", False, False,
     "行动不便或独居居民需要协助就医、取药。",
     "已协助就医或联系家庭医生上门。"),
    ("S0202", "慢病随访", "normal", (1, 1, 5, 2), D, 24, "health", False, False,
     "慢性病居民需要随访或健康指导。",
     "社区卫生服务机构已完成随访。"),
    ("S0301", "残疾人帮扶", "normal", (1, 1, 3, 2), D, 12, "civil_affairs", False, False,
     "残疾人在生活、康复、出行等方面提出帮扶需求。",
     "帮扶措施已落实或已转介相关机构。"),
    ("S0302", "辅具申请协助", "low", (1, 1, 5, 2), D, 24, "civil_affairs", False, False,
     "残疾人需要申请轮椅、助听器等辅助器具。",
     "已协助提交申请并告知办理进度。"),
    ("S0401", "低保申请协助", "normal", (1, 1, 5, 2), D, 24, "civil_affairs", False, False,
     "困难家庭需要了解或申请最低生活保障。",
     "已协助提交申请材料或告知不符合条件的原因。"),
    ("S0402", "临时救助", "high", (2, 1, 8, 4), H, 4, "civil_affairs", False, False,
     "居民因突发事件、意外事故等导致基本生活暂时困难。",
     "临时救助已发放或已转介相应救助渠道。"),
    ("S0501", "留守儿童关爱", "normal", (1, 1, 3, 2), D, 12, "civil_affairs", False, False,
     "留守儿童监护缺失、生活或学习出现困难。",
     "已落实监护联系人并开展关爱帮扶。"),
    ("S0502", "困境儿童帮扶", "high", (2, 1, 16, 4), H, 4, "civil_affairs", False, False,
     "儿童面临监护缺失、受到侵害或生活困难。",
     "已核实情况并落实保护、救助措施。"),
    ("S0601", "就业帮扶", "normal", (1, 1, 5, 2), D, 24, "residents_committee", False, False,
     "失业或就业困难居民提出就业、培训需求。",
     "已推荐岗位、培训或完成就业登记。"),
    ("S0701", "优抚对象走访", "normal", (1, 1, 5, 2), D, 24, "civil_affairs", False, False,
     "优抚对象需要走访慰问或提出优待服务需求。",
     "已完成走访并落实相关优待服务。"),
    ("S0801", "邻里纠纷", "normal", (1, 1, 3, 2), D, 12, "residents_committee", False, False,
     "邻里之间因噪音、漏水、公共空间使用等产生矛盾。",
     "双方达成调解意见或已引导通过法律途径解决。"),
    ("S0802", "物业纠纷", "normal", (1, 1, 5, 2), D, 24, "residents_committee", False, False,
     "业主与物业服务企业因服务质量、收费等发生纠纷。",
     "已组织协商调解并形成处理意见。"),
    ("S0803", "家庭纠纷", "normal", (1, 1, 3, 2), D, 12, "residents_committee", False, False,
     "家庭成员之间因赡养、婚姻、财产等产生矛盾。",
     "已调解化解或已转介专业机构。"),
    ("S0901", "消防通道堵塞", "high", (2, 1, 4, 4), H, 2, "fire", True, True,
     "消防通道、楼道被车辆、杂物占用或堵塞。",
     "通道已清理畅通。"),
    ("S0902", "电动车违规充电", "high", (2, 1, 4, 4), H, 2, "fire", True, True,
     "电动自行车进楼入户、飞线充电或在楼道内停放充电。",
     "违规充电已制止，车辆已移至规范充电点。"),
    ("S0903", "高空坠物隐患", "high", (2, 1, 8, 4), H, 4, "property_management", True, True,
     "阳台、窗台堆放物品或建筑附属物松动，存在坠落风险。",
     "隐患物品已清除或加固。"),
]


def load_categories(apps, schema_editor) -> None:
    Category = apps.get_model("cases", "Category")
    majors = {
        code: Category.objects.create(
            family=code[0], code=code, name=name, sort_order=int(code[1:3])
        )
        for code, name in MAJOR_CLASSES
    }
    Category.objects.bulk_create(
        Category(
            family=code[0],
            code=code,
            name=name,
            parent=majors[code[:3]],
            sort_order=int(code[3:5]),
            default_priority=priority,
            accept_limit=Decimal(accept),
            dispatch_limit=Decimal(dispatch),
            handle_limit=Decimal(handle),
            verify_limit=Decimal(verify),
            limit_unit=unit,
            urgent_limit_hours=Decimal(urgent),
            default_department_kind=kind,
            requires_result_photo=result_photo,
            requires_verification_photo=verification_photo,
            acceptance_condition=acceptance,
            closing_condition=closing,
        )
        for (
            code,
            name,
            priority,
            (accept, dispatch, handle, verify),
            unit,
            urgent,
            kind,
            result_photo,
            verification_photo,
            acceptance,
            closing,
        ) in SUBCATEGORIES
    )


def unload_categories(apps, schema_editor) -> None:
    Category = apps.get_model("cases", "Category")
    # Children first: parent is PROTECT. Routing rules on these categories go with them.
    Category.objects.filter(code__in=[row[0] for row in SUBCATEGORIES]).delete()
    Category.objects.filter(code__in=[code for code, _ in MAJOR_CLASSES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load_categories, unload_categories),
    ]
